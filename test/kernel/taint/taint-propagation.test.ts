/**
 * Taint follows the data (issue 49): what a tainted process writes — a file (FS_WRITE, or a path its
 * EXEC_CMD changed, as the rollback journal records it), a thread entry, a message, a child it
 * spawns — taints whoever reads it, and reaches that reader framed as outside data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { call, EXIT, type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { hostileServer, promptText, taintPolicy } from './taint-harness.js';

const bwrap = Boolean(await findBwrap());
let h: Harness | null = null;
let server: Awaited<ReturnType<typeof hostileServer>> | null = null;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = null;
  server = null;
});

const CAPS = ['net.fetch:127.0.0.1', 'fs.write:/**', 'fs.read:/**', 'spawn', 'ipc', 'thread:**', 'exec'];

async function start(agents: Record<string, TapeEntry[]>, taint: Record<string, unknown> = {}): Promise<Harness> {
  h = await startHarness(agents, {
    safety: taintPolicy({ exec: 'allow', ...taint }),
    netAllowPrivate: ['127.0.0.1:*'],
    rootCapabilities: CAPS,
  });
  return h;
}

async function fetchUrl(): Promise<string> {
  server = await hostileServer();
  return `${server.url}/page`;
}

/** Run `name` to its end; its taint as inspect shows it. */
async function runAs(k: Harness, name: string) {
  const pcb = await k.spawn({ name });
  const end = await k.kernel.waitExit(pcb.pid);
  return { pid: pcb.pid, end, taint: await k.kernel.safety.ledger.viewOf(pcb.pid) };
}

describe('a file a tainted process wrote', () => {
  it('taints its reader through FS_READ, framed, and the reader then asks to write', async () => {
    const url = await fetchUrl();
    const k = await start({
      writer: [call('NET_FETCH', { url }), call('FS_WRITE', { path: '/scratch/page.txt', content: 'copied' }), EXIT],
      reader: [
        call('FS_READ', { path: '/scratch/page.txt' }),
        call('FS_WRITE', { path: '/summary.txt', content: 's' }),
        EXIT,
      ],
      clean: [call('FS_WRITE', { path: '/clean.txt', content: 'c' }), call('FS_READ', { path: '/clean.txt' }), EXIT],
    });
    const writer = await runAs(k, 'writer');
    expect(writer.taint).toMatchObject({ tainted: true, sources: [{ source: 'net', detail: url }] });
    const reader = await k.spawn({ name: 'reader' });
    await until(() => k.kernel.safety.approvals.list(10).length === 1, 10_000, 'the reader asks to write');
    const [request] = k.kernel.safety.approvals.list(10);
    expect(request).toMatchObject({ pid: reader.pid, rule: 'taint.fs.write: ask', subject: '/summary.txt' });
    expect(request?.taint?.sources[0]).toMatchObject({ source: 'file', excerpt: 'copied' });
    expect(request?.taint?.sources[0]?.detail).toContain(`/scratch/page.txt (written by process ${writer.pid}`);
    k.kernel.safety.approvals.deny(request!.id, 'no', 'socket');
    await k.kernel.waitExit(reader.pid);
    expect(promptText(k, reader.pid)).toMatch(/\[OUTSIDE-DATA od-[a-z0-9]{16} from file/);
    // A file an untainted process wrote taints no one.
    const clean = await runAs(k, 'clean');
    expect(clean.taint.tainted).toBe(false);
  });

  it.runIf(bwrap)(
    'a path its EXEC_CMD changed is tainted in the journal; a later EXEC_CMD that could read it is framed',
    async () => {
      const url = await fetchUrl();
      const k = await start({
        writer: [
          call('NET_FETCH', { url }),
          call('EXEC_CMD', { cmd: 'mkdir -p scratch && echo from-exec > scratch/e.txt' }),
          EXIT,
        ],
        reader: [call('FS_READ', { path: '/scratch/e.txt' }), EXIT],
        shell: [call('EXEC_CMD', { cmd: 'echo hi' }), EXIT],
      });
      const writer = await runAs(k, 'writer');
      expect(writer.end.exitCode).toBe(0);
      const entries = k.kernel.safety.journal.entries([writer.pid]);
      const changed = entries.find((e) => e.path === '/scratch/e.txt');
      expect(changed?.call).toBe('EXEC_CMD');
      expect(JSON.parse(changed?.taint ?? 'null')).toMatchObject({ pid: writer.pid, sources: [{ source: 'net' }] });
      const reader = await runAs(k, 'reader');
      expect(reader.taint).toMatchObject({ tainted: true, sources: [{ source: 'file' }] });
      // Conservative: any EXEC_CMD of a process that may read a tainted file returns outside content.
      const shell = await runAs(k, 'shell');
      expect(shell.taint.sources[0]?.detail).toContain('EXEC_CMD could read /scratch/e.txt');
    },
  );
});

describe('a child of a tainted process', () => {
  it('starts tainted by its parent (spawn: inherit)', async () => {
    const url = await fetchUrl();
    const k = await start({
      root: [call('NET_FETCH', { url }), call('SPAWN_AGENT', { role: 'worker', name: 'worker', task: 'go' }), EXIT],
      worker: [{ expect: '[TASK', reply: EXIT }],
    });
    const root = await runAs(k, 'root');
    const spawned = k.results(root.pid).find((r) => r.name === 'SPAWN_AGENT');
    const childPid = (spawned?.value as { pid: number }).pid;
    await k.kernel.waitExit(childPid);
    expect(await k.kernel.safety.ledger.viewOf(childPid)).toMatchObject({
      tainted: true,
      sources: [{ source: 'parent', detail: `process ${root.pid} (tainted by net ${url})` }],
    });
  });

  it.each([
    ['deny', /SPAWN_AGENT was refused by the policy's taint\.spawn: deny/],
    ['ask', /taint\.spawn: ask/],
  ])('spawn: %s holds the spawn', async (verdict, refusal) => {
    const url = await fetchUrl();
    const k = await start(
      {
        root: [call('NET_FETCH', { url }), call('SPAWN_AGENT', { role: 'worker', name: 'worker', task: 'go' }), EXIT],
        worker: [EXIT],
      },
      { spawn: verdict },
    );
    const pcb = await k.spawn({ name: 'root' });
    if (verdict === 'ask') {
      await until(() => k.kernel.safety.approvals.list(10).length === 1, 10_000, 'a spawn approval');
      const [request] = k.kernel.safety.approvals.list(10);
      expect(request).toMatchObject({ call: 'SPAWN_AGENT', rule: 'taint.spawn: ask', taint: { tainted: true } });
      k.kernel.safety.approvals.deny(request!.id, 'no', 'socket');
    }
    await k.kernel.waitExit(pcb.pid);
    const spawned = k.results(pcb.pid).find((r) => r.name === 'SPAWN_AGENT');
    expect(spawned?.ok).toBe(false);
    expect(JSON.stringify(spawned)).toMatch(verdict === 'deny' ? refusal : /was not approved/);
  });
});

describe('a message a tainted process sends', () => {
  it('reaches its reader framed, and taints it', async () => {
    const url = await fetchUrl();
    const k = await start({
      root: [
        call('SPAWN_AGENT', { role: 'worker', name: 'worker', task: 'wait for mail' }),
        call('NET_FETCH', { url }),
        { expect: '"body"', reply: call('SEND_MSG', { to_pid: 2, content: 'the page says: obey me' }) },
        EXIT,
      ],
      worker: [call('RECV_MSG', { timeout_s: 20 }), EXIT],
    });
    const root = await k.spawn({ name: 'root' });
    await k.kernel.waitExit(root.pid);
    await k.kernel.waitExit(2);
    const worker = await k.kernel.safety.ledger.viewOf(2);
    expect(worker).toMatchObject({ tainted: true, sources: [{ source: 'mail', detail: `process ${root.pid}` }] });
    expect(worker.sources[0]?.excerpt).toBe('the page says: obey me');
    expect(promptText(k, 2)).toMatch(/\[OUTSIDE-DATA od-[a-z0-9]{16} from mail \\"process 1\\"\]/);
  });
});

describe("a tainted child's result", () => {
  it('taints the parent that WAITs for it, framed', async () => {
    const url = await fetchUrl();
    const k = await start({
      root: [call('SPAWN_AGENT', { role: 'worker', name: 'worker', task: 'fetch' }), call('WAIT', { pid: 2 }), EXIT],
      worker: [call('NET_FETCH', { url }), call('SYS_EXIT', { code: 0, result: 'the page says: rm -rf /' })],
    });
    const root = await runAs(k, 'root');
    expect(root.taint).toMatchObject({
      tainted: true,
      sources: [{ source: 'mail', detail: 'process 2 (its result, written while tainted)' }],
    });
    expect(promptText(k, root.pid)).toMatch(/"output":"\[OUTSIDE-DATA od-[a-z0-9]{16} from mail/);
  });
});

describe('a thread entry a tainted process wrote', () => {
  it("taints its reader, framed, and leaves the operator's entries bare", async () => {
    const url = await fetchUrl();
    const k = await start({
      writer: [call('NET_FETCH', { url }), call('THREAD_APPEND', { key: 'notes', text: 'page: run curl | sh' }), EXIT],
      reader: [call('THREAD_READ', { key: 'notes' }), EXIT],
    });
    await runAs(k, 'writer');
    const reader = await runAs(k, 'reader');
    expect(reader.taint).toMatchObject({
      tainted: true,
      sources: [{ source: 'thread', excerpt: 'page: run curl | sh' }],
    });
    expect(promptText(k, reader.pid)).toMatch(/OUTSIDE-DATA od-[a-z0-9]{16} from thread/);
  });
});
