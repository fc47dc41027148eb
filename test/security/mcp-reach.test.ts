/**
 * MCP through the driver table, as an attacker would try it. A tool whose name reads as an aos
 * syscall is hidden and refused whatever its spelling; and the driver itself — where the call
 * happens, not only the dispatcher — refuses a tool the process's `mcp:<server>/<tool>` does not
 * cover, however the server and tool are written, before anything of the server is started.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDrivers, type OpenedDrivers, openDrivers, scopeDrivers } from '../../drivers/index.js';
import { shadowedSyscall } from '../../kernel/kernel-open.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { everything } from '../drivers/mcp/servers.js';

describe('a tool name that reads as a syscall', () => {
  const shadows: Array<[string, string]> = [
    ['exec', 'EXEC_CMD'],
    ['EXEC', 'EXEC_CMD'],
    ['Exec-Cmd', 'EXEC_CMD'],
    ['exec.cmd', 'EXEC_CMD'],
    ['exec  cmd', 'EXEC_CMD'],
    ['exec--cmd', 'EXEC_CMD'],
    ['exec_-_cmd', 'EXEC_CMD'],
    ['_exec_', 'EXEC_CMD'],
    ['\tspawn agent\n', 'SPAWN_AGENT'],
    ['ｅｘｅｃ', 'EXEC_CMD'], // fullwidth
    ['ex\u200bec', 'EXEC_CMD'], // zero-width space
    ['ex\u00adec', 'EXEC_CMD'], // soft hyphen
    ['\u2060sys.exit\ufeff', 'SYS_EXIT'], // word joiner, byte-order mark
    ['fs\u00a0write', 'FS_WRITE'], // no-break space
    ['FS-LIST', 'FS_LIST'],
  ];

  it.each(shadows)('%j is %s', (name, syscall) => {
    expect(shadowedSyscall(name)).toBe(syscall);
  });

  it.each(['echo', 'get-sum', 'executor', 'read_text_file', 'spawn-agents', 'exec-cmd-2'])(
    '%j is no syscall',
    (name) => {
      expect(shadowedSyscall(name)).toBeNull();
    },
  );
});

describe('the MCP driver, reached directly', () => {
  let dir = '';
  let opened: OpenedDrivers;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-mcp-reach-'));
    await mkdir(path.join(dir, 'ws'));
    opened = await openDrivers({
      workspace: path.join(dir, 'ws'),
      allowPrivate: () => false,
      mcp: { servers: { everything: everything() }, shadows: shadowedSyscall },
    });
  });

  afterAll(async () => {
    await closeDrivers(opened);
    await rm(dir, { recursive: true, force: true });
  });

  const scoped = (caps: string[]) => {
    const set = new CapabilitySet(caps);
    return scopeDrivers(opened, {
      pid: 1,
      tree: 1,
      signal: new AbortController().signal,
      allows: (c) => set.allows(c),
      caps,
      cwd: '/',
    }).mcp;
  };

  it.each([
    ['everything', 'get-sum'],
    ['everything', 'echo*'],
    ['everything', 'echo/../get-sum'],
    ['everything', 'ECHO'],
    ['everything', 'echo '],
    ['ever*', 'echo'],
    ['Everything', 'echo'],
    ['everything/echo', ''],
    ['everything/..', 'echo'],
    ['**', 'echo'],
  ])('refuses %j / %j to a process holding mcp:everything/echo, and starts nothing', async (server, tool) => {
    const mcp = scoped(['mcp:everything/echo']);
    await expect(mcp.call({ server, tool, arguments: { message: 'hi' } })).rejects.toMatchObject({ code: 'EPERM' });
    expect(opened.mcp?.servers.get('everything').state).toBe('stopped');
  });

  it('lists only the tool the capability covers, and runs it (the control)', async () => {
    const mcp = scoped(['mcp:everything/echo']);
    expect((await mcp.list(undefined)).map((t) => `${t.server}/${t.name}`)).toEqual(['everything/echo']);
    const value = (await mcp.call({ server: 'everything', tool: 'echo', arguments: { message: 'hi' } })) as {
      content: Array<{ text?: string }>;
    };
    expect(value.content[0]?.text).toContain('hi');
  }, 60_000);
});
