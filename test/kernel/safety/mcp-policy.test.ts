/** The policy's `mcp:` section: servers by name, stdio or Streamable HTTP, refused when malformed. */
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../kernel/safety/policy.js';

const base = 'version: 1\nroot:\n  capabilities: [exec, "mcp:everything/*"]\n';

describe('the mcp section of the policy', () => {
  it('declares stdio servers (sandboxed, no network by default) and URL ones', () => {
    const policy = parsePolicy(
      `${base}mcp:\n  servers:\n    everything:\n      command: node\n      args: ["/opt/mcp/everything/dist/index.js", "stdio"]\n      read: ["/opt/mcp/everything"]\n    remote:\n      url: "http://127.0.0.1:9000/mcp"\n      headers: { authorization: "Bearer x" }\n`,
      'p.yaml',
    );
    expect(policy.mcpServers).toEqual({
      everything: {
        kind: 'stdio',
        command: 'node',
        args: ['/opt/mcp/everything/dist/index.js', 'stdio'],
        env: {},
        read: ['/opt/mcp/everything'],
        write: [],
        workspace: false,
        network: false,
      },
      remote: { kind: 'http', url: 'http://127.0.0.1:9000/mcp', headers: { authorization: 'Bearer x' } },
    });
    expect(policy.rootCapabilities).toContain('mcp:everything/*');
  });

  it('resolves ./ and ../ paths and arguments against the policy file', () => {
    const policy = parsePolicy(
      `${base}mcp:\n  servers:\n    x:\n      command: node\n      args: ["../lib/server.js", "--flag", "/abs"]\n      read: ["../lib"]\n      write: ["./out"]\n`,
      '/etc/aos/policy.yaml',
    );
    expect(policy.mcpServers.x).toMatchObject({
      args: ['/etc/lib/server.js', '--flag', '/abs'],
      read: ['/etc/lib'],
      write: ['/etc/aos/out'],
    });
  });

  it('has no servers without the section', () => {
    expect(parsePolicy(base, 'p.yaml').mcpServers).toEqual({});
  });

  it.each([
    ['a relative read path', 'x:\n      command: node\n      read: ["lib"]', 'mcp.servers.x'],
    ['an unknown key', 'x:\n      command: node\n      shell: true', 'mcp.servers.x'],
    ['a bad name', '"a/b":\n      command: node', 'mcp.servers.a/b'],
    ['a non-http url', 'x:\n      url: "file:///etc/passwd"', 'mcp.servers.x'],
  ])('refuses %s', (_what, server, where) => {
    expect(() => parsePolicy(`${base}mcp:\n  servers:\n    ${server}\n`, 'p.yaml')).toThrow(where);
  });

  it('takes mcp: capabilities with a pattern', () => {
    expect(() =>
      parsePolicy('version: 1\nroot:\n  capabilities: ["mcp:*/*", "mcp:git/git_log"]\n', 'p.yaml'),
    ).not.toThrow();
  });
});
