/**
 * The seed's dialect through a real kernel (inline replay tapes): SPAWN_AGENT permissions as
 * syscall names and role as the child's whole prompt, RECV_MSG / SYS_READ_STDIN with timeout_s 0
 * polling, SYS_REGISTER_WEBHOOK with a leading slash, prose before the `{`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const ok = (name: string): string => `[SYS_RESULT::${name}] {"ok":true`;
const states = (harness: Harness, pid: number): string[] =>
  harness.eventsOf(pid, 'state').map((e) => (e.type === 'state' ? `${e.from}>${e.to}` : ''));

describe('the seed dialect', () => {
  it('SPAWN_AGENT permissions name syscalls: the child holds what those calls need, of what its parent holds', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', {
            role: 'reader',
            permissions: ['FS_READ', 'NET_FETCH', 'SYS_WRITE_STDOUT', 'SEND_MSG', 'MEM_WRITE'],
          }),
          { expect: '"pid":2', reply: call('WAIT', { pid: 2, timeout_s: 30 }) },
          { expect: '"exit_code":0', reply: EXIT },
        ],
        reader: [
          [
            call('FS_READ', { path: '/pub/a.txt' }),
            call('FS_WRITE', { path: '/pub/b.txt', content: 'x' }),
            call('EXEC_CMD', { cmd: 'true' }),
          ].join('\n'),
          { expect: ['"content":"hello"', '"errno":"EPERM"'], reply: EXIT },
        ],
      },
      { rootCapabilities: ['fs.read:/pub/**', 'fs.write:/**', 'exec', 'spawn', 'ipc', 'net.fetch:*.example.org'] },
    );
    await h.kernel.opened.fs.write('/pub/a.txt', 'hello');
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    // MEM_WRITE's mem is not the parent's to give: dropped, as any capability the parent lacks.
    expect(h.kernel.endedPcb(2)?.capabilities).toEqual(['fs.read:/pub/**', 'net.fetch:*.example.org', 'ipc']);
    expect(h.results(2).map((r) => (r.ok ? r.name : `${r.name} ${r.errno}`))).toEqual([
      'FS_READ',
      'FS_WRITE EPERM',
      'EXEC_CMD EPERM',
      'SYS_EXIT',
    ]);
  });

  it('an unknown name in permissions is EINVAL naming it, and no child starts', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'w', permissions: ['FS_READ', 'SUDO'] }),
        { expect: '"errno":"EINVAL"', reply: EXIT },
      ],
    });
    await h.run();
    expect(h.results(1)[0]).toMatchObject({ ok: false, errno: 'EINVAL', message: expect.stringContaining('"SUDO"') });
    expect(h.kernel.pcb(2) ?? h.kernel.endedPcb(2)).toBeUndefined();
  });

  it("role is the child's whole prompt: long text, named by its first line, bounded by the context budget", async () => {
    const role = `You are a careful word counter.\n${'Count every word of the files you are given, then report. '.repeat(60)}`;
    const tooLong = 'x'.repeat(32_000 * 4 * 0.25 + 1);
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role }),
        { expect: ok('SPAWN_AGENT'), reply: call('SPAWN_AGENT', { role: tooLong }) },
        { expect: ['"errno":"EINVAL"', 'role is 32001 characters'], reply: call('WAIT', { timeout_s: 30 }) },
        { expect: '"exit_code":0', reply: EXIT },
      ],
      'You are a careful word counter.': [EXIT],
    });
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    expect(role.length).toBeGreaterThan(3_000);
    expect(h.kernel.endedPcb(2)).toMatchObject({ role, name: 'You are a careful word counter.', exitCode: 0 });
    expect(h.eventsOf(2, 'state')[0]).toMatchObject({ role: 'You are a careful word counter.' });
  });

  it('RECV_MSG and SYS_READ_STDIN with timeout_s 0 return at once, empty, without blocking; with input waiting they return it', async () => {
    h = await startHarness({
      root: [
        [call('RECV_MSG', { timeout_s: 0 }), call('SYS_READ_STDIN', { timeout_s: 0 })].join('\n'),
        {
          expect: [
            '[SYS_RESULT::RECV_MSG] {"ok":true,"value":{"messages":[]}}',
            '[SYS_RESULT::SYS_READ_STDIN] {"ok":true,"value":{"text":""}}',
          ],
          reply: call('SPAWN_AGENT', { role: 'talker', pipe_to: 'parent' }),
        },
        { expect: ok('SPAWN_AGENT'), reply: call('WAIT', { timeout_s: 30 }) },
        {
          expect: '"exit_code":0',
          reply: [call('RECV_MSG', { timeout_s: 0 }), call('SYS_READ_STDIN', { timeout_s: 0 })].join('\n'),
        },
        { expect: ['"content":"hi"', '"text":"line\\n"'], reply: EXIT },
      ],
      talker: [
        [call('SEND_MSG', { to_pid: 1, content: 'hi' }), call('SYS_WRITE_STDOUT', { text: 'line\n' })].join('\n'),
        EXIT,
      ],
    });
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    // Only WAIT blocked: the polls never parked the process.
    expect(states(h, 1).filter((s) => s.endsWith('>blocked'))).toHaveLength(1);
  });

  it('SYS_REGISTER_WEBHOOK takes a path with a leading slash: "/api/chat" is the route "api/chat"', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('SYS_REGISTER_WEBHOOK', { path: '/api/chat' }),
            call('SYS_REGISTER_WEBHOOK', { path: 'api/chat' }),
            call('SYS_REGISTER_WEBHOOK', { path: '//api' }),
          ].join('\n'),
          { expect: [ok('SYS_REGISTER_WEBHOOK'), '"errno":"EINVAL"'], reply: EXIT },
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'webhook'], webhookPort: 0 },
    );
    await h.run();
    const [slash, bare, double] = h.results(1);
    expect(slash).toMatchObject({
      ok: true,
      value: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/[\w-]{32}\/api\/chat$/), webhook_id: 1 },
    });
    expect(bare).toMatchObject({ ok: true, value: slash?.ok ? slash.value : null });
    expect(double).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('prose between the tag and the { is looked past', async () => {
    h = await startHarness({
      root: [
        '[SYS_CALL::FS_WRITE] saving the note first, with arguments: {"path": "/note.txt", "content": "seed"}',
        { expect: ok('FS_WRITE'), reply: '[SYS_CALL::SYS_EXIT] -> {"code": 0, "result": "done"}' },
      ],
    });
    const root = await h.run();
    expect(root).toMatchObject({ exitCode: 0, output: 'done' });
    expect((await h.kernel.opened.fs.read('/note.txt')).content).toBe('seed');
  });
});
