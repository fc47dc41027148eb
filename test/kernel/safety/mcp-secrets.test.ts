/** An MCP server's secrets: filled into its env or headers only where the policy's `mcp:` lists it. */
import { describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../../drivers/mcp/types.js';
import { SecretBox, withMcpSecrets } from '../../../kernel/safety/secrets.js';
import type { SecretSpec } from '../../../kernel/safety/policy-secrets.js';

const TOKEN = 'ghp_test_value_never_shown_0123456789';
const spec = (name: string, mcp: string[]): SecretSpec => ({
  name,
  fromEnv: name,
  fromFile: null,
  hosts: [],
  exec: [],
  mcp,
  channels: [],
});
const stdio = (env: Record<string, string>): McpServerConfig => ({
  kind: 'stdio',
  command: 'node',
  args: [],
  env,
  read: [],
  write: [],
  workspace: false,
  network: false,
});

async function box(): Promise<SecretBox> {
  return SecretBox.load([spec('GH_TOKEN', ['github']), spec('UNSET', ['github'])], '/nonexistent', { GH_TOKEN: TOKEN });
}

describe('withMcpSecrets', () => {
  it('fills a stdio server env and an HTTP server header the policy lets it have, and leaves the rest', async () => {
    const secrets = await box();
    const out = withMcpSecrets(
      {
        github: stdio({ GITHUB_TOKEN: '{{secret:GH_TOKEN}}', MODE: 'read' }),
        remote: { kind: 'http', url: 'http://127.0.0.1:9/mcp', headers: { 'x-plain': 'yes' } },
      },
      secrets,
    );
    expect(out?.github).toMatchObject({ env: { GITHUB_TOKEN: TOKEN, MODE: 'read' } });
    expect(out?.remote).toMatchObject({ headers: { 'x-plain': 'yes' } });
  });

  it('refuses a secret for a server its policy does not list, an unknown secret, and one without a value', async () => {
    const secrets = await box();
    expect(() => withMcpSecrets({ other: stdio({ T: '{{secret:GH_TOKEN}}' }) }, secrets)).toThrow(
      /secret GH_TOKEN may not go to the MCP server other \(policy mcp: github\)/,
    );
    expect(() =>
      withMcpSecrets(
        { remote: { kind: 'http', url: 'http://x/mcp', headers: { authorization: 'Bearer {{secret:GH_TOKEN}}' } } },
        secrets,
      ),
    ).toThrow(/may not go to the MCP server remote/);
    expect(() => withMcpSecrets({ github: stdio({ T: '{{secret:NOPE}}' }) }, secrets)).toThrow(
      /names no secret of the policy \(NOPE\)/,
    );
    expect(() => withMcpSecrets({ github: stdio({ T: '{{secret:UNSET}}' }) }, secrets)).toThrow(
      /secret UNSET for the MCP server github has no value/,
    );
  });
});
