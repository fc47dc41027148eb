/**
 * `ps --all` over a store of 100,000 ended processes (rows copied from a real one by direct SQL).
 * In the kernel: how long its thread is busy during a full listing (the rows are made by a worker
 * thread; event-loop utilisation), the listing's total time, and what the listing costs when made on the kernel's
 * thread. Through the daemon: a `ping` answered while a full listing is under way, the listing's
 * round trip, and `aos ps --all --json` from start to exit.
 *
 *   node dist/bench/ps.js [--procs 100000] [--runs 5] [--trips 5] [--cli-runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { KernelClient } from '../client/client.js';
import { PROTOCOL_VERSION } from '../protocol/protocol.js';
import { Kernel } from '../kernel/kernel.js';
import { builtCli, median, openBenchHome } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const procs = Number(flag('procs', '100000'));
const runs = Number(flag('runs', '5'));
/** The figures without a target (a listing's round trip over the socket, the CLI's start to exit): fewer runs in a quick run. */
const trips = Number(flag('trips', String(runs)));
const cliRuns = Number(flag('cli-runs', String(Math.min(runs, 3))));
const home = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-ps-'));
const storeFile = path.join(home, 'aos.db');
const options = { workspace: path.join(home, 'ws'), rootCapabilities: ['ipc'], storeFile };

/** One real process (a few turns, an exit result), then its row copied to pids 2..procs. */
async function fill(): Promise<void> {
  const tape = path.join(home, 'tape.yaml');
  const steps = [
    'step 1\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"hello"}',
    'step 2\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"world"}',
  ];
  await writeFile(
    tape,
    YAML.stringify({ agents: { root: [...steps, '[SYS_CALL::SYS_EXIT] {"code":0,"result":"done"}'] } }),
  );
  const kernel = await Kernel.create(options);
  const pcb = await kernel.spawn({
    task: 'summarise the notes in /notes and write the summary to /out/summary.md',
    model: `replay:${tape}`,
  });
  await kernel.waitExit(pcb.pid);
  await kernel.close();
  const db = new Database(storeFile);
  const row = db.prepare('SELECT * FROM processes WHERE pid = 1').get() as Record<string, unknown>;
  const columns = Object.keys(row);
  // Made by SQLite in one statement (a row bound from JS each took ~4 s of the quick run's 27).
  const made: Record<string, string> = {
    pid: 'n.pid',
    name: "'agent-' || (n.pid % 97)",
    created_at: 'p.created_at + n.pid',
  };
  const copy = db.prepare(
    `WITH RECURSIVE n(pid) AS (SELECT 2 UNION ALL SELECT pid + 1 FROM n WHERE pid < ?)
     INSERT INTO processes (${columns.join(', ')})
     SELECT ${columns.map((c) => made[c] ?? `p.${c}`).join(', ')} FROM n, processes AS p WHERE p.pid = 1`,
  );
  db.transaction(() => {
    copy.run(procs);
    // As spawn would have left it: the next pid after the last.
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_pid', ?)").run(String(procs + 1));
  })();
  db.close();
}

/** Runs `work`; returns its time and how long the kernel's thread was busy meanwhile (event-loop utilisation). */
async function busyDuring(work: () => Promise<unknown>): Promise<{ totalMs: number; busyMs: number }> {
  const loop0 = performance.eventLoopUtilization();
  const start = performance.now();
  await work();
  const totalMs = performance.now() - start;
  return { totalMs, busyMs: performance.eventLoopUtilization(loop0).active };
}

await fill();
const kernel = await Kernel.create(options);
const probes: Array<{ totalMs: number; busyMs: number }> = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  probes.push(
    await busyDuring(async () => {
      const listing = await kernel.psAll.json();
      bytes = listing.bytes.length;
      // As the server does once the socket has taken them.
      listing.release();
    }),
  );
}
const inline: number[] = [];
for (let i = 0; i < Math.min(runs, 3); i++) {
  const start = performance.now();
  JSON.stringify(kernel.processes({ all: true }));
  inline.push(performance.now() - start);
}
await kernel.close();

// Through the daemon: another client's ping while the listing is made, and the CLI itself.
const bench = await openBenchHome('ps', { home });
const other = await KernelClient.connect({
  socket: path.join(home, 'kernel.sock'),
  kernelLog: path.join(home, 'kernel.log'),
});
const roundTrips: number[] = [];
for (let i = 0; i < trips; i++) {
  const start = performance.now();
  await bench.client.request('ps', { all: true });
  roundTrips.push(performance.now() - start);
}
// The ping is timed against a listing whose bytes this process only counts: a listing parsed here
// (tens of MB of JSON) would hold this process's thread, and with it the ping's answer, for as long
// as the parse takes — the bench's wait, not the daemon's.
const pings: number[] = [];
for (let i = 0; i < runs; i++) {
  const listing = rawListing(path.join(home, 'kernel.sock'));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const pingStart = performance.now();
  await other.request('ping', {});
  pings.push(performance.now() - pingStart);
  await listing;
}
other.close();
const cliTimes: number[] = [];
for (let i = 0; i < cliRuns; i++) {
  const start = performance.now();
  const run = spawnSync(process.execPath, [builtCli(), 'ps', '--all', '--json'], {
    env: bench.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0) throw new Error(`aos ps --all --json exited ${run.status}: ${run.stderr.toString()}`);
  cliTimes.push(performance.now() - start);
}
await bench.close();
await rm(home, { recursive: true, force: true });

const busy = median(probes.map((p) => p.busyMs));
const total = median(probes.map((p) => p.totalMs));
report(
  'ps',
  {
    processes: procs,
    runs,
    listing_bytes: bytes,
    kernel_thread_busy_ms: probes.map((p) => Number(p.busyMs.toFixed(1))),
    listing_total_ms: probes.map((p) => Number(p.totalMs.toFixed(1))),
    inline_listing_ms: inline.map((ms) => Number(ms.toFixed(1))),
    ping_during_listing_ms: pings.map((ms) => Number(ms.toFixed(1))),
    socket_round_trip_ms: roundTrips.map((ms) => Number(ms.toFixed(1))),
    cli_ps_all_json_ms: cliTimes.map((ms) => Number(ms.toFixed(1))),
  },
  [
    figure(
      'ps.all_kernel_ms',
      busy,
      'ms',
      `time the kernel's thread is busy while it lists ${procs} ended processes as JSON (ps --all)`,
      { max: 20 },
    ),
    figure(
      'ps.all_total_ms',
      total,
      'ms',
      `a full listing of ${procs} processes, worker thread included (bytes ready for the socket)`,
    ),
    figure(
      'ps.all_inline_ms',
      median(inline),
      'ms',
      `the same listing made on the kernel's thread (rows + JSON.stringify), which the worker avoids`,
    ),
    figure(
      'ps.ping_during_all_ms',
      Math.max(...pings),
      'ms',
      `another client's ping while the daemon lists ${procs} processes (worst of ${runs})`,
      { max: 50 },
    ),
    figure(
      'ps.socket_round_trip_ms',
      median(roundTrips),
      'ms',
      `ps --all over the socket, ${procs} rows checked by the client`,
    ),
    figure(
      'ps.cli_all_json_ms',
      median(cliTimes),
      'ms',
      `\`aos ps --all --json\` start to exit with ${procs} processes`,
    ),
  ],
);

/** `ps --all` on a socket of its own, read to the end of its one-line answer and not parsed; resolves with its size. */
function rawListing(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let bytes = 0;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (chunk.includes(10)) {
        socket.destroy();
        resolve(bytes);
      }
    });
    socket.write(`${JSON.stringify({ id: 1, method: 'ps', params: { all: true }, protocol: PROTOCOL_VERSION })}\n`);
  });
}
