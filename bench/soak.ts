/**
 * Soak: many short processes through the real daemon, in waves, with SIGKILL + restart cycles.
 * Records, after every wave, the daemon's heap after GC, RSS, open fds and the store's size (JSON
 * for a chart), and at the end the acknowledged processes that were lost and the events stored
 * twice — both must be 0.
 *
 *   node --import tsx bench/soak.ts [--procs 100000] [--wave 2000] [--kills 3]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { KernelClient } from '../client/client.js';
import { figure, flag, report } from './report.js';

const procs = Number(flag('procs', '100000'));
const waveSize = Number(flag('wave', '2000'));
const kills = Number(flag('kills', '3'));
const waves = Math.ceil(procs / waveSize);
const killAt = new Set(Array.from({ length: kills }, (_, i) => Math.floor(((i + 1) * waves) / (kills + 1))));

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.extname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'cmd', `aos${ext}`);
const home = await mkdtemp(path.join(os.tmpdir(), 'aos-soak-'));
const env = {
  ...process.env,
  AOS_HOME: home,
  AOS_WORKSPACE: path.join(home, 'workspace'),
  AOS_POLICY: '',
  NODE_OPTIONS: '--expose-gc',
};
const paths = { socket: path.join(home, 'kernel.sock'), kernelLog: path.join(home, 'kernel.log') };
const tape = path.join(home, 'tape.yaml');
await writeFile(
  tape,
  YAML.stringify({
    agents: { root: ['[SYS_CALL::SYS_WRITE_STDOUT] {"text":"working"}', '[SYS_CALL::SYS_EXIT] {"code":0}'] },
  }),
);

function aos(...args: string[]): void {
  const run = spawnSync(process.execPath, [...process.execArgv, cli, ...args], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`aos ${args.join(' ')} failed: ${run.stderr}`);
}

function daemonPid(): number {
  return Number(readFileSync(path.join(home, 'kernel.pid'), 'utf8').trim());
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

async function live(client: KernelClient): Promise<number> {
  const { processes: p } = await client.request('stats', {});
  return p.ready + p.running + p.blocked + p.sleeping;
}

aos('kernel', 'start');
let client = await KernelClient.connect(paths);
const acked = new Set<number>();
const samples: Array<Record<string, number>> = [];
const started = Date.now();
let restarts = 0;

for (let wave = 0; wave < waves; wave++) {
  const count = Math.min(waveSize, procs - wave * waveSize);
  const current = client;
  const requests = Array.from({ length: count }, () =>
    current.request('spawn', { task: 'soak', model: `replay:${tape}` }).then((row) => acked.add(row.pid)),
  );
  if (killAt.has(wave)) {
    // Mid-wave: some spawns acknowledged, some not, processes in every state.
    while (acked.size < wave * waveSize + count / 2) await new Promise((resolve) => setTimeout(resolve, 1));
    process.kill(daemonPid(), 'SIGKILL');
    await Promise.allSettled(requests);
    client.close();
    aos('kernel', 'start');
    client = await KernelClient.connect(paths);
    restarts++;
  } else {
    await Promise.all(requests);
  }
  while ((await live(client)) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const stats = await client.request('stats', { gc: true });
  const pid = daemonPid();
  samples.push({
    wave,
    processes: acked.size,
    elapsed_s: (Date.now() - started) / 1000,
    heap_after_gc_bytes: stats.heap_used_bytes,
    rss_bytes: rssOf(pid),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    db_bytes: fileSize(path.join(home, 'aos.db')) + fileSize(path.join(home, 'aos.db-wal')),
  });
  process.stderr.write(
    `soak: wave ${wave + 1}/${waves}: ${acked.size} processes, heap ${(stats.heap_used_bytes / 1e6).toFixed(1)} MB\n`,
  );
}
client.close();
aos('kernel', 'stop');

const db = new Database(path.join(home, 'aos.db'), { readonly: true });
const stored = new Set((db.prepare('SELECT pid FROM processes').all() as Array<{ pid: number }>).map((r) => r.pid));
const notEnded = (
  db.prepare("SELECT COUNT(*) AS n FROM processes WHERE state NOT IN ('exited', 'killed')").get() as { n: number }
).n;
const duplicated = (
  db
    .prepare(
      `SELECT COUNT(*) AS n FROM (SELECT pid, json_extract(json, '$.type') AS type, json_extract(json, '$.turn') AS turn,
         json_extract(json, '$.seq') AS seq, COUNT(*) AS c FROM events WHERE json_extract(json, '$.type') IN ('prompt', 'model', 'syscall', 'result')
         GROUP BY pid, type, turn, seq HAVING c > 1)`,
    )
    .get() as { n: number }
).n;
db.close();
const lost = [...acked].filter((pid) => !stored.has(pid)).length;
const first = samples[Math.min(2, samples.length - 1)] ?? samples[0];
const last = samples.at(-1);
await rm(home, { recursive: true, force: true });

const growth = ((last?.heap_after_gc_bytes ?? 0) - (first?.heap_after_gc_bytes ?? 0)) / 1e6;
const figures = [
  figure(
    'soak.lost',
    lost,
    'processes',
    `acknowledged processes missing after ${restarts} SIGKILL + restart cycles (${procs} processes)`,
    { max: 0 },
  ),
  figure('soak.duplicated_events', duplicated, 'events', 'events stored twice across restarts', { max: 0 }),
  figure(
    'soak.heap_growth',
    growth,
    'MB',
    `daemon heap after GC, last wave minus third wave (${procs} short processes)`,
    { max: 5 },
  ),
];
report(
  'soak',
  {
    procs,
    wave_size: waveSize,
    restarts,
    acknowledged: acked.size,
    lost,
    duplicated_events: duplicated,
    not_ended: notEnded,
    heap_after_gc_first_bytes: first?.heap_after_gc_bytes,
    heap_after_gc_last_bytes: last?.heap_after_gc_bytes,
    seconds: (Date.now() - started) / 1000,
    samples,
  },
  figures,
);
if (lost > 0 || duplicated > 0 || notEnded > 0) process.exitCode = 1;
