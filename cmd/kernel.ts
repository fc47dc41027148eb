/** `aos kernel start|stop|status`: the daemon of this AOS_HOME. These never auto-start it. */
import type { Command } from 'commander';
import { pingKernel, startKernel } from '../kernel/client/connect.js';
import { KernelUnreachableError } from '../kernel/client/errors.js';
import { launchLazily } from './connect.js';
import { stopKernel } from './launch-stop.js';
import { aosPaths } from '../kernel/paths.js';
import type { ResultOf } from '../kernel/wire/protocol.js';
import { PROC_STATES } from '../kernel/types.js';
import type { KernelStats } from '../kernel/wire/views.js';
import { CliError, EXIT } from './fail.js';
import { describeProvider } from './providers.js';
import { formatBytes, formatCost, formatCount, formatDuration } from './top/format.js';

interface JsonFlag {
  json?: boolean;
}

function print(json: boolean, value: object, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

export async function runStart(flags: JsonFlag): Promise<number> {
  const paths = aosPaths();
  let connected;
  try {
    connected = { ...(await pingKernel(paths)), started: false };
  } catch (error) {
    if (!(error instanceof KernelUnreachableError) || error.kind !== 'connect') throw error;
    connected = await startKernel(paths, launchLazily);
  }
  connected.client.close();
  const { pid, socket } = connected.kernel;
  const what = connected.started ? 'kernel started' : 'kernel already running';
  print(flags.json ?? false, { pid, socket, started: connected.started }, `${what} (pid ${pid}, socket ${socket})`);
  return EXIT.ok;
}

export async function runStop(flags: JsonFlag): Promise<number> {
  const { pid, forced } = await stopKernel(aosPaths());
  const human = pid === null ? 'kernel not running' : forced ? `kernel (pid ${pid}) did not stop in time and was killed` : `kernel stopped (pid ${pid})`;
  print(flags.json ?? false, { pid, forced }, human);
  return EXIT.ok;
}

function describeStats(s: KernelStats, info: ResultOf<'ping'>): string {
  const live = PROC_STATES.filter((st) => st !== 'exited' && st !== 'killed' && s.processes[st] > 0).map((st) => `${s.processes[st]} ${st}`);
  const liveCount = PROC_STATES.filter((st) => st !== 'exited' && st !== 'killed').reduce((n, st) => n + s.processes[st], 0);
  const ended = s.processes.exited + s.processes.killed;
  const rows: Array<[string, string]> = [
    ['kernel', `running, pid ${s.pid}, up ${formatDuration(s.uptime_s)}, version ${s.version}`],
    ['socket', info.socket],
    ['workspace', info.workspace],
    ['processes', `${liveCount} live${live.length ? ` (${live.join(', ')})` : ''}, ${ended} ended`],
    ['inference', `${s.active_inferences} in flight, ${s.queue_depth} queued (a limit per provider, no global cap)`],
    ...(s.providers ?? []).map((p): [string, string] => ['provider', describeProvider(p)]),
    ['tokens', `${formatCount(s.prompt_tokens)} prompt, ${formatCount(s.output_tokens)} output, cost ${formatCost(s.cost)}`],
    ['memory', `rss ${formatBytes(s.rss_bytes)}, heap ${formatBytes(s.heap_used_bytes)}`],
    ['webhooks', s.webhook_url ?? 'off'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
}

export async function runStatus(flags: JsonFlag): Promise<number> {
  const paths = aosPaths();
  let connected;
  try {
    connected = await pingKernel(paths);
  } catch (error) {
    if (error instanceof KernelUnreachableError && error.kind === 'connect') {
      throw new CliError(`kernel not running (nothing answers on ${paths.socket}); start it with "aos kernel start"`, EXIT.unreachable);
    }
    throw error;
  }
  try {
    const stats = await connected.client.request('stats', {});
    const { socket, home, workspace } = connected.kernel;
    print(flags.json ?? false, { ...stats, socket, home, workspace }, describeStats(stats, connected.kernel));
    return EXIT.ok;
  } finally {
    connected.client.close();
  }
}

export function registerKernel(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  const kernel = program
    .command('kernel')
    .description('start, stop or inspect the kernel daemon of $AOS_HOME (other verbs start it on demand)')
    .addHelpText('after', '\nExamples:\n  aos kernel status --json\n  aos kernel stop');
  kernel
    .command('start')
    .description('start the daemon unless it is running')
    .option('--json', 'print {"pid","socket","started"}')
    .addHelpText('after', '\nExample:\n  AOS_HOME=/tmp/aos aos kernel start')
    .action((flags: JsonFlag) => run(() => runStart(flags)));
  kernel
    .command('stop')
    .description('stop the daemon and wait until it is gone (processes resume on the next start)')
    .option('--json', 'print {"pid","forced"} (pid null when it was not running)')
    .addHelpText('after', '\nExample:\n  aos kernel stop')
    .action((flags: JsonFlag) => run(() => runStop(flags)));
  kernel
    .command('status')
    .description('show the daemon and its totals; exits 2 when it is not running')
    .option('--json', 'print the kernel stats with socket, home and workspace')
    .addHelpText('after', '\nExample:\n  aos kernel status --json | jq .processes')
    .action((flags: JsonFlag) => run(() => runStatus(flags)));
}
