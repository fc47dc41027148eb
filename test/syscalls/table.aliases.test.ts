/** The seed's spellings of syscall names and arguments, and other aliases: each resolves to the table's canonical call. */
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('seed spellings and aliases', () => {
  it('SEND_MSG takes pid/to + message', async () => {
    h = await startHarness({
      root: [
        [
          call('SEND_MSG', { pid: 1, message: 'a' }),
          call('SEND_MSG', { to: 1, message: 'b' }),
          call('RECV_MSG', { timeout_s: 1 }),
        ].join('\n'),
        { expect: ['"content":"a"', '"content":"b"'], reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    const results = h.results(pcb.pid);
    expect(results.slice(0, 2).map((r) => r.value)).toEqual([{ ok: true }, { ok: true }]);
    expect(results[2]?.value).toMatchObject({
      messages: [
        { from_pid: 1, content: 'a' },
        { from_pid: 1, content: 'b' },
      ],
    });
  });

  it('SLEEP takes duration and duration_s, and SYS_SLEEP is SLEEP', async () => {
    h = await startHarness({
      root: [
        [
          call('SLEEP', { duration: 0.01 }),
          call('SLEEP', { duration_s: 0.01 }),
          call('SYS_SLEEP', { seconds: 0 }),
        ].join('\n'),
        EXIT,
      ],
    });
    const pcb = await h.run();
    expect(
      h
        .results(pcb.pid)
        .slice(0, 3)
        .map((r) => [r.name, r.value]),
    ).toEqual([
      ['SLEEP', { slept: 0.01 }],
      ['SLEEP', { slept: 0.01 }],
      ['SLEEP', { slept: 0 }],
    ]);
  });

  it('SYS_EXIT takes exit_code', async () => {
    h = await startHarness({ root: [call('SYS_EXIT', { exit_code: 4 })] });
    const pcb = await h.run();
    expect(pcb).toMatchObject({ exitCode: 4, exitReason: 'exited with code 4' });
  });

  it('EXIT is SYS_EXIT, with status and output', async () => {
    h = await startHarness({ root: [call('EXIT', { status: 2, output: 'partial' })] });
    const pcb = await h.run();
    expect(pcb).toMatchObject({ exitCode: 2, output: 'partial' });
    expect(h.results(pcb.pid)[0]?.name).toBe('SYS_EXIT');
  });

  it('SPAWN_AGENT takes capabilities for permissions, and SPAWN is SPAWN_AGENT', async () => {
    h = await startHarness({
      root: [
        [
          call('SPAWN_AGENT', { role: 'reader', capabilities: ['fs.read:/**', 'net.fetch:x.com'] }),
          call('SPAWN', { role: 'writer', permissions: ['fs.write:/out/**'] }),
        ].join('\n'),
        call('WAIT', { pid: 2 }),
        call('WAIT', { pid: 3 }),
        EXIT,
      ],
      reader: [EXIT],
      writer: [EXIT],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(
      h
        .results(pcb.pid)
        .slice(0, 2)
        .map((r) => [r.name, r.value]),
    ).toEqual([
      ['SPAWN_AGENT', { pid: 2 }],
      ['SPAWN_AGENT', { pid: 3 }],
    ]);
    // net.fetch is not the parent's, so it is dropped.
    expect(h.kernel.pcb(2)?.capabilities).toEqual(['fs.read:/**']);
    expect(h.kernel.pcb(3)?.capabilities).toEqual(['fs.write:/out/**']);
  });

  it('SPAWN_AGENT refuses both capabilities and permissions at once (the alias stays an unknown key)', async () => {
    h = await startHarness({
      root: [call('SPAWN_AGENT', { role: 'w', capabilities: ['ipc'], permissions: ['ipc'] }), EXIT],
    });
    const pcb = await h.run();
    expect(h.results(pcb.pid)[0]).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(h.results(pcb.pid)[0]?.message).toContain('"capabilities"');
    expect(h.kernel.list()).toHaveLength(1);
  });

  it('FS_LS is FS_LIST; stdout, stdin, wait and schedule aliases resolve to their canonical names', async () => {
    h = await startHarness({
      root: [
        [
          call('FS_LS'),
          call('WRITE_STDOUT', { content: 'a' }),
          call('STDOUT', { data: 'b' }),
          call('READ_STDIN', { timeout_s: 0.01 }),
          call('STDIN', { timeout_s: 0.01 }),
          call('WAIT_PID', {}),
          call('WAITPID', {}),
          call('SCHEDULE', { seconds: 60, prompt: 'p' }),
        ].join('\n'),
        { expect: ['[SYS_RESULT::FS_LIST] {"ok":true', '[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true'], reply: EXIT },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(
      h
        .results(pcb.pid)
        .slice(0, 8)
        .map((r) => [r.name, r.errno ?? 'ok']),
    ).toEqual([
      ['FS_LIST', 'ok'],
      ['SYS_WRITE_STDOUT', 'ok'],
      ['SYS_WRITE_STDOUT', 'ok'],
      ['SYS_READ_STDIN', 'ETIMEDOUT'],
      ['SYS_READ_STDIN', 'ETIMEDOUT'],
      ['WAIT', 'ECHILD'],
      ['WAIT', 'ECHILD'],
      ['SYS_SCHEDULE', 'ok'],
    ]);
    expect(pcb.output).toBe('ab');
  });

  it('names are case-insensitive, aliases included', async () => {
    h = await startHarness({
      root: [
        [
          call('fs_write', { path: 'c.txt', content: 'case' }),
          call('fs_read', { path: 'c.txt' }),
          call('Fs_List'),
          call('fs_ls'),
        ].join('\n'),
        { expect: ['[SYS_RESULT::FS_READ] {"ok":true', '"content":"case"'], reply: call('sys_exit', { code: 0 }) },
      ],
    });
    const pcb = await h.run();
    expect(pcb.exitCode).toBe(0);
    expect(h.results(pcb.pid).map((r) => [r.name, r.ok])).toEqual([
      ['FS_WRITE', true],
      ['FS_READ', true],
      ['FS_LIST', true],
      ['FS_LIST', true],
      ['SYS_EXIT', true],
    ]);
  });
});
