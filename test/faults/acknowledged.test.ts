/**
 * Issue 9, item 6: a reply that acknowledges a change is sent only after the change is committed.
 * 400 spawns on one connection, SIGKILL the moment the last is acknowledged: every acknowledged
 * pid is there after the restart, and no pid is handed out twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelClient } from '../../client/client.js';
import { psDirect } from '../helpers/kernel-probe.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';
import { storeKinds } from '../helpers/store-kinds.js';

let t: FaultHome | null = null;
let client: KernelClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  await t?.dispose();
  t = null;
});

describe.each(storeKinds())('acknowledged work survives SIGKILL, on $name', (kind) => {
  it('keeps every acknowledged spawn of 400 pipelined on one connection, and never reuses a pid', async () => {
    t = await makeFaultHome(await kind.daemonEnv());
    const model = await t.tape({ root: [call('SLEEP', { seconds: 60 })] });
    client = await t.connect();
    const acked: number[] = [];
    const requests = Array.from({ length: 400 }, () =>
      client?.request('spawn', { task: 't', model }).then((row) => {
        acked.push(row.pid);
        return row.pid;
      }),
    );
    // Settle (and so handle) every request now: the ones in flight at the kill reject.
    const settled = Promise.allSettled(requests);
    // Kill the daemon as soon as half are acknowledged: the rest may or may not have been made.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (acked.length < 200) return;
        clearInterval(timer);
        resolve();
      }, 1);
    });
    await t.sigkill();
    await settled;
    const ackedAtKill = [...acked];
    expect(ackedAtKill.length).toBeGreaterThanOrEqual(200);

    await t.start();
    const rows = await psDirect(t.home, true);
    const known = new Set(rows.map((r) => r.pid));
    expect(ackedAtKill.filter((pid) => !known.has(pid))).toEqual([]);
    const next = await t.cli(['spawn', 't', '--model', model, '--detach', '--json']);
    const pid = (JSON.parse(next.stdout) as { pid: number }).pid;
    expect(pid).toBeGreaterThan(Math.max(...rows.map((r) => r.pid)));
  }, 60_000);
});
