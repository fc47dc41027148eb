/**
 * The `taint:` rules at the effect (issue 49): a tainted process's EXEC_CMD is asked about at the
 * exec gate, program by program, as an `ask: exec` rule is; NET_FETCH, CHANNEL_SEND to another chat
 * and spawns meet their settings; every approval shows the outside content that tainted the
 * process, and every decision about it on the audit trail says it was tainted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { findGate } from '../../../drivers/exec/gate/gate-binary.js';
import { call, EXIT, type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { hostileServer, taintPolicy } from './taint-harness.js';

const gated = Boolean((await findBwrap()) && (await findGate()));
let h: Harness | null = null;
let server: Awaited<ReturnType<typeof hostileServer>> | null = null;
afterEach(async () => {
  await h?.close();
  await server?.close();
  h = null;
  server = null;
});

/** The hostile page's URL, its server kept for the test's end. */
async function page(): Promise<string> {
  server = await hostileServer();
  return `${server.url}/page`;
}

/** A kernel with the `taint:` settings given (the shipped ones otherwise), able to fetch the page. */
async function start(agents: Record<string, TapeEntry[]>, taint: Record<string, unknown>, caps: string[]) {
  h = await startHarness(agents, {
    safety: taintPolicy(taint),
    netAllowPrivate: ['127.0.0.1:*'],
    rootCapabilities: ['net.fetch:127.0.0.1', ...caps],
  });
  return h;
}

describe.runIf(gated)('taint.exec at the exec gate', () => {
  it('asks about each program a tainted command starts, showing the page that tainted it', async () => {
    const url = await page();
    h = await start(
      {
        root: [
          call('NET_FETCH', { url }),
          call('EXEC_CMD', { cmd: 'echo hi | tr a-z A-Z' }),
          { expect: '"exit_code":0', reply: EXIT },
        ],
      },
      {},
      ['exec', 'fs.read:/**'],
    );
    const pcb = await h.spawn();
    const asked: Array<{ subject: string; rule: string; source?: string }> = [];
    const done = h.kernel.waitExit(pcb.pid);
    let ended = false;
    void done.then(() => (ended = true));
    while (!ended) {
      const [request] = h.kernel.safety.approvals.list(10);
      if (request) {
        asked.push({ subject: request.subject, rule: request.rule, source: request.taint?.sources[0]?.source });
        h.kernel.safety.approvals.approve(request.id, 'socket');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await done).exitCode).toBe(0);
    // One request per program, each bound to what runs: tr among them, with its argv.
    expect(asked.some((a) => /\btr\b.*a-z/.test(a.subject))).toBe(true);
    for (const a of asked) expect(a).toMatchObject({ rule: 'taint.exec: ask', source: 'net' });
    const out = h.results(pcb.pid).find((r) => r.name === 'EXEC_CMD');
    expect(JSON.stringify(out)).toContain('HI');
    // Each ask is on the audit trail with the taint that made it.
    const rows = h.kernel.safety.audit.list({ pid: pcb.pid, limit: 50 });
    const ask = rows.find((r) => r.decision === 'ask' && r.rule === 'taint.exec: ask');
    expect(ask?.reason).toMatch(/^tainted by 1 outside source: net http:\/\/127\.0\.0\.1:\d+\/page$/);
  });

  it('exec: deny refuses every program a tainted command starts, and a clean process runs', async () => {
    const url = await page();
    h = await start(
      {
        root: [call('NET_FETCH', { url }), call('EXEC_CMD', { cmd: 'echo tainted' }), EXIT],
        clean: [call('EXEC_CMD', { cmd: 'echo clean' }), EXIT],
      },
      { exec: 'deny' },
      ['exec'],
    );
    const clean = await h.spawn({ name: 'clean' });
    await h.kernel.waitExit(clean.pid);
    expect(JSON.stringify(h.results(clean.pid)[0])).toContain('clean\\n');
    const pcb = await h.spawn();
    await h.kernel.waitExit(pcb.pid);
    const out = JSON.stringify(h.results(pcb.pid).find((r) => r.name === 'EXEC_CMD'));
    expect(out).toMatch(/taint\.exec: deny/);
    expect(out).not.toContain('tainted\\n');
    const denied = h.kernel.safety.audit.list({ pid: pcb.pid, limit: 50 }).find((r) => r.decision === 'deny');
    expect(denied).toMatchObject({ rule: 'taint.exec: deny', call: 'EXEC_CMD' });
    expect(denied?.reason).toContain('tainted by 1 outside source: net');
  });
});

describe('taint.net', () => {
  it.each([
    ['allow', true],
    ['get', true],
    ['deny', false],
  ] as const)('net: %s — a second fetch by a tainted process goes through: %s', async (net, passes) => {
    server = await hostileServer();
    const url = `${server.url}/page`;
    h = await startHarness(
      { root: [call('NET_FETCH', { url }), call('NET_FETCH', { url: `${url}?exfil=secret` }), EXIT] },
      {
        safety: taintPolicy({ net }),
        netAllowPrivate: ['127.0.0.1:*'],
        rootCapabilities: ['net.fetch:127.0.0.1'],
      },
    );
    const pcb = await h.spawn();
    await h.kernel.waitExit(pcb.pid);
    const second = h.results(pcb.pid)[1];
    expect(second?.ok).toBe(passes);
    expect(server.hits).toHaveLength(passes ? 2 : 1);
    if (!passes) expect(second?.message).toMatch(/NET_FETCH was refused by the policy's taint\.net: deny/);
  });

  it('net: ask parks the second fetch on a request that shows the first page', async () => {
    server = await hostileServer();
    const url = `${server.url}/page`;
    h = await startHarness(
      { root: [call('NET_FETCH', { url }), call('NET_FETCH', { url: `${url}?exfil=secret` }), EXIT] },
      {
        safety: taintPolicy({ net: 'ask' }),
        netAllowPrivate: ['127.0.0.1:*'],
        rootCapabilities: ['net.fetch:127.0.0.1'],
      },
    );
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 10_000, 'a fetch approval');
    const [request] = h.kernel.safety.approvals.list(10);
    expect(request).toMatchObject({ call: 'NET_FETCH', rule: 'taint.net: ask', subject: `${url}?exfil=secret` });
    expect(request?.taint?.sources).toEqual([
      expect.objectContaining({ source: 'net', detail: url, excerpt: expect.stringContaining('Welcome!') }),
    ]);
    h.kernel.safety.approvals.deny(request!.id, 'exfiltration', 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(server.hits).toHaveLength(1);
    const settled = h.kernel.safety.audit.list({ pid: pcb.pid, limit: 50 }).find((r) => r.decision === 'denied');
    expect(settled?.reason).toMatch(/exfiltration \(tainted by 1 outside source: net /);
  });
});
