/**
 * Hostile unit packages previewed through the kernel's socket (`unit_install` as a dry run, what
 * `aos unit install` sends before anyone says yes), with a kernel that has agents running: how long
 * each takes to be refused, and what the kernel's thread and memory feel meanwhile — its event-loop
 * delay (p99, max), the round trip of a `ps` asked every 20 ms on another connection, the growth of
 * its RSS — against 5 s of the same kernel with nothing previewed. The kernel and its socket server
 * run in this process, as in the daemon, so the delay measured is the kernel's own.
 *
 *   node dist/bench/package-bomb.js [--runs 3] [--only zeros-2gib.tar.gz,dirs-100k.tar.gz] [--dir-flood 100000]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { KernelClient } from '../client/client.js';
import { KernelServer } from '../daemon/server.js';
import { Kernel } from '../kernel/kernel.js';
import { corpusBase, HOSTILE_ARCHIVES, makeDirectories, many, writeArchives } from '../test/helpers/package-corpus.js';
import { median, quantile } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const runs = Number(flag('runs', '3'));
const dirFlood = Number(flag('dir-flood', '100000'));
/** The control window (s): about as long as the previews take (~5 s of 3 runs; ~1.6 s of one). */
const controlS = Number(flag('control-s', '5'));
const DEFAULT =
  'zeros-2gib.tar.gz,zeros-32mib.tar.gz,many-medium.tar.gz,lying-size.tar.gz,pax-flood.tar.gz,dirs-20k.tar.gz,dirs-100k.tar.gz,deep-1000.tar.gz,dup-unit.tar.gz';
const only = flag('only', DEFAULT).split(',');

/** The corpus, made by this file run again with --make-corpus: its buffers never swell the kernel's RSS (which a fork copies the page tables of). */
async function makeCorpus(dir: string): Promise<void> {
  await writeArchives(
    dir,
    HOSTILE_ARCHIVES.filter((a) => only.includes(a.file)),
  );
  if (dirFlood > 0)
    await makeDirectories(dir, [
      {
        name: 'dir-flood',
        what: 'a directory flood',
        refusal: /entries/,
        make: (d) => many(d, dirFlood, (at) => mkdir(at)),
      },
    ]);
}
const making = flag('make-corpus', '');
if (making) {
  await makeCorpus(making);
  process.exit(0);
}
const dir = await mkdtemp(path.join(corpusBase(), 'aos-bench-bomb-'));
const made = spawnSync(
  process.execPath,
  [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--make-corpus', dir],
  { stdio: 'inherit' },
);
if (made.status !== 0) throw new Error(`package-bomb: the corpus was not made (exit ${made.status})`);
const packages = HOSTILE_ARCHIVES.filter((a) => only.includes(a.file)).map((a) => ({
  name: a.file,
  file: path.join(dir, a.file),
}));
if (dirFlood > 0)
  packages.push({ name: `directory of ${dirFlood.toLocaleString('en')} entries`, file: path.join(dir, 'dir-flood') });

// A kernel with work going on: ten agents taking a turn every 50 ms.
const tape = path.join(dir, 'tape.yaml');
await writeFile(
  tape,
  YAML.stringify({
    agents: {
      busy: Array.from({ length: 10_000 }, () => ({
        reply: '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"tick"}',
        delay_ms: 50,
      })),
    },
  }),
);
// The kernel's home on the machine's own disk, as a daemon's; the corpus on tmpfs, where it is quick to make.
const home = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-bomb-home-'));
const kernel = await Kernel.create({
  workspace: path.join(home, 'ws'),
  rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'ipc'],
  cwd: dir,
});
const socket = path.join(home, 'kernel.sock');
const server = await KernelServer.listen(kernel, {
  socket,
  home,
  workspace: path.join(home, 'ws'),
  onShutdown: () => undefined,
});
const paths = { socket, kernelLog: path.join(home, 'kernel.log') };
const installer = await KernelClient.connect(paths);
const watcher = await KernelClient.connect(paths);
for (let i = 0; i < 10; i++) await kernel.spawn({ task: 'tick', model: `replay:${tape}`, name: 'busy' });

const rows: Array<{ package: string; refused_ms: number[]; message: string }> = [];
const pings: number[] = [];
let rssPeak = 0;
await new Promise((r) => setTimeout(r, 500));
// The control: the same kernel and agents for --control-s with nothing previewed (what this machine's load alone does to the delay).
const control = monitorEventLoopDelay({ resolution: 1 });
control.enable();
await new Promise((r) => setTimeout(r, controlS * 1000));
control.disable();
const rss0 = process.memoryUsage().rss;
const delay = monitorEventLoopDelay({ resolution: 1 });
let previewing = true;
const pinger = (async () => {
  while (previewing) {
    const t = performance.now();
    await watcher.request('ps', {});
    pings.push(performance.now() - t);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    await new Promise((r) => setTimeout(r, 20));
  }
})();
delay.enable();
for (const pkg of packages) {
  const times: number[] = [];
  let message = '';
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    try {
      await installer.request('unit_install', { path: pkg.file, dry_run: true });
      message = 'accepted';
    } catch (error) {
      message = (error as Error).message.replace(`${pkg.file}: `, '');
    }
    times.push(performance.now() - t);
  }
  rows.push({ package: pkg.name, refused_ms: times.map((ms) => Math.round(ms)), message });
  console.error(`package-bomb: ${pkg.name}: ${times.map((ms) => Math.round(ms)).join(', ')} ms: ${message}`);
}
delay.disable();
previewing = false;
await pinger;

installer.close();
watcher.close();
await server.close();
await kernel.shutdown();
await rm(dir, { recursive: true, force: true });
await rm(home, { recursive: true, force: true });

const p99 = delay.percentile(99) / 1e6;
const max = delay.max / 1e6;
const slowest = Math.max(...rows.map((r) => median(r.refused_ms)));
const accepted = rows.filter((r) => r.message === 'accepted').length;
const growth = (rssPeak - rss0) / 1e6;
const quiet = { p99: control.percentile(99) / 1e6, max: control.max / 1e6 };
console.error(
  `package-bomb: event-loop delay p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms (with nothing previewed: ${quiet.p99.toFixed(1)}, ${quiet.max.toFixed(1)} ms); ps round trip p99 ${quantile(pings, 0.99).toFixed(1)} ms, max ${Math.max(...pings).toFixed(1)} ms; RSS ${(rss0 / 1e6).toFixed(0)} MB +${growth.toFixed(1)} MB`,
);
report(
  'package-bomb',
  {
    runs,
    packages: rows,
    event_loop_delay_ms: { p50: delay.percentile(50) / 1e6, p99, max },
    control_delay_ms: quiet,
    ps_round_trip_ms: { p99: quantile(pings, 0.99), max: Math.max(...pings) },
    rss_mb: rss0 / 1e6,
    rss_growth_mb: growth,
  },
  [
    figure(
      'package-bomb-delay-p99',
      p99,
      'ms',
      `the kernel's event-loop delay (p99) while ${rows.length} hostile packages are previewed (gzip bombs, floods, ${runs}× each), ten agents running`,
      { max: 20 },
    ),
    figure(
      'package-bomb-delay-max',
      max,
      'ms',
      `the kernel's longest event-loop delay meanwhile (${quiet.max.toFixed(0)} ms with nothing previewed)`,
      { max: 250 },
    ),
    figure(
      'package-bomb-refusal',
      slowest,
      'ms',
      'the slowest of those packages from the request until it is refused (median of its runs)',
      { max: 2_000 },
    ),
    figure('package-bomb-rss', growth, 'MB', "the kernel's RSS growth meanwhile", { max: 64 }),
    figure('package-bomb-accepted', accepted, 'packages', 'hostile packages accepted', { max: 0 }),
  ],
);
