/**
 * SIGKILL at seeded random points while processes run multi-turn tapes, three times over. After the
 * last restart everything finishes and the record holds: every acknowledged process is there, no
 * event is duplicated, and a side effect happened at most once (exactly once when its result said ok;
 * a call cut off by the kill comes back EINTR). AOS_FAULT_SEED=<n> replays one run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../protocol/events.js';
import { psDirect, waitForRows } from '../helpers/kernel-probe.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';
import { storeKinds } from '../helpers/store-kinds.js';
import { seededRandom } from '../helpers/seeded-random.js';

const PROCS = 6;
const TURNS = 8;

function tapeFor(rand: () => number): Record<string, string[]> {
  const agents: Record<string, string[]> = {};
  for (let p = 0; p < PROCS; p++) {
    const name = `w${p}`;
    const turns: string[] = [];
    for (let i = 0; i < TURNS; i++) {
      const write = call('FS_WRITE', { path: `${name}.log`, content: `${name}:${i}\n`, append: true });
      turns.push(`${write}\n${call('SLEEP', { seconds: Number((0.05 + rand() * 0.3).toFixed(2)) })}`);
    }
    turns.push(call('SYS_EXIT', { code: 0 }));
    agents[name] = turns;
  }
  return agents;
}

function duplicates(events: KernelEvent[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const e of events) {
    let key: string | null = null;
    if (e.type === 'syscall' || e.type === 'result') key = `${e.pid}:${e.type}:${e.turn}:${e.seq}`;
    if (e.type === 'prompt' || e.type === 'model') key = `${e.pid}:${e.type}:${e.turn}`;
    if (key === null) continue;
    if (seen.has(key)) dup.push(key);
    seen.add(key);
  }
  return dup;
}

let t: FaultHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

const seeds = process.env.AOS_FAULT_SEED ? [Number(process.env.AOS_FAULT_SEED)] : [1, 7];

describe.each(storeKinds())('SIGKILL at random points, on $name', (kind) => {
  it.each(seeds)(
    'loses no acknowledged work, duplicates no event, repeats no side effect (seed %i)',
    async (seed) => {
      const rand = seededRandom(seed);
      t = await makeFaultHome(await kind.daemonEnv());
      const model = await t.tape(tapeFor(rand));
      const client = await t.connect();
      const pids: number[] = [];
      for (let p = 0; p < PROCS; p++)
        pids.push((await client.request('spawn', { task: 't', model, name: `w${p}` })).pid);
      client.close();
      for (let kill = 0; kill < 3; kill++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + rand() * 900));
        await t.sigkill();
        await t.start();
      }
      await waitForRows(
        t.home,
        (rows) => pids.every((pid) => ['exited', 'killed'].includes(rows.get(pid)?.state ?? '')),
        {
          timeoutMs: 60_000,
          what: `all processes to end (seed ${seed})`,
        },
      );
      const rows = new Map((await psDirect(t.home, true)).map((r) => [r.pid, r]));
      for (const pid of pids) {
        const row = rows.get(pid);
        expect(row, `pid ${pid} (seed ${seed})`).toBeDefined();
        if (row?.exit_code !== 0)
          expect(row?.exit_reason, `seed ${seed}`).toMatch(/^kernel error: the kernel crashed 2 times/);
      }
      for (const [index, pid] of pids.entries()) {
        const name = `w${index}`;
        const logs = await t.cli(['logs', String(pid), '--json']);
        const events = logs.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as KernelEvent);
        expect(duplicates(events), `seed ${seed}`).toEqual([]);
        const file = await readFile(path.join(t.env.AOS_WORKSPACE ?? '', `${name}.log`), 'utf8').catch(() => '');
        for (const result of events) {
          if (result.type !== 'result' || result.name !== 'FS_WRITE') continue;
          const times = file.split('\n').filter((line) => line === `${name}:${result.turn}`).length;
          if (result.ok) expect(times, `${name} turn ${result.turn} ok (seed ${seed})`).toBe(1);
          else
            expect([result.errno, times], `${name} turn ${result.turn} (seed ${seed})`).toEqual([
              'EINTR',
              expect.any(Number),
            ]);
          expect(times).toBeLessThanOrEqual(1);
        }
      }
    },
    120_000,
  );
});
