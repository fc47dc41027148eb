/** `aos kernel start|stop|status`: the daemon of this AOS_HOME. These never auto-start it. */
import { pingKernel, startKernel } from '../client/connect.js';
import { KernelUnreachableError } from '../client/errors.js';
import { launchLazily, withKernel } from './connect.js';
import { stopKernel } from './launch-stop.js';
import { runRestart } from './kernel-restart.js';
import { driftWarning } from './drift.js';
import { aosPaths } from '../sys/host/paths.js';
import type { ResultOf } from '../protocol/protocol.js';
import { PROC_STATES } from '../sys/types.js';
import type { KernelStats } from '../protocol/views.js';
import { CliError, EXIT } from './fail.js';
import { describeProvider } from './providers.js';
import { clusterRows, nodeTable } from './cluster-format.js';
import { formatBytes, formatCost, formatCount, formatDuration } from './top/format.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';

interface JsonFlag {
  json?: boolean;
}

interface StartFlags extends JsonFlag {
  node?: string;
  database?: string;
}

function print(json: boolean, value: object, human: string): void {
  out(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

export async function runStart(flags: StartFlags): Promise<number> {
  const paths = aosPaths();
  // The daemon reads its settings from the environment it is started with.
  if (flags.database !== undefined) process.env.AOS_DATABASE_URL = flags.database;
  if (flags.node !== undefined) process.env.AOS_NODE = flags.node;
  let connected;
  try {
    connected = { ...(await pingKernel(paths)), started: false };
  } catch (error) {
    if (!(error instanceof KernelUnreachableError) || error.kind !== 'connect') throw error;
    connected = await startKernel(paths, launchLazily);
  }
  connected.client.close();
  const { pid, socket, workspace } = connected.kernel;
  const what = connected.started ? 'kernel started' : 'kernel already running';
  print(
    flags.json ?? false,
    { pid, socket, workspace, started: connected.started },
    `${what} (pid ${pid}, socket ${socket}, workspace ${workspace})`,
  );
  if (!connected.started) for (const line of driftWarning(connected.kernel)) err(`${line}\n`);
  return EXIT.ok;
}

export async function runStop(flags: JsonFlag): Promise<number> {
  const { pid, forced } = await stopKernel(aosPaths());
  const human =
    pid === null
      ? 'kernel not running'
      : forced
        ? `kernel (pid ${pid}) did not stop in time and was killed`
        : `kernel stopped (pid ${pid})`;
  print(flags.json ?? false, { pid, forced }, human);
  return EXIT.ok;
}

function describeStats(s: KernelStats, info: ResultOf<'ping'>): string {
  const live = PROC_STATES.filter((st) => st !== 'exited' && st !== 'killed' && s.processes[st] > 0).map(
    (st) => `${s.processes[st]} ${st}`,
  );
  const liveCount = PROC_STATES.filter((st) => st !== 'exited' && st !== 'killed').reduce(
    (n, st) => n + s.processes[st],
    0,
  );
  const ended = s.processes.exited + s.processes.killed;
  const rows: Array<[string, string]> = [
    ['kernel', `running, pid ${s.pid}, up ${formatDuration(s.uptime_s)}, version ${s.version}`],
    ['socket', info.socket],
    ['workspace', info.workspace],
    ['processes', `${liveCount} live${live.length ? ` (${live.join(', ')})` : ''}, ${ended} ended`],
    ['inference', `${s.active_inferences} in flight, ${s.queue_depth} queued (a limit per provider, no global cap)`],
    ...(s.providers ?? []).map((p): [string, string] => ['provider', describeProvider(p)]),
    [
      'tokens',
      `${formatCount(s.prompt_tokens)} prompt, ${formatCount(s.output_tokens)} output, cost ${formatCost(s.cost)}`,
    ],
    ['memory', `rss ${formatBytes(s.rss_bytes)}, heap ${formatBytes(s.heap_used_bytes)}`],
    [
      'webhooks',
      s.webhook_url
        ? s.webhook_public_url
          ? `${s.webhook_url}, told to processes as ${s.webhook_public_url}`
          : s.webhook_url
        : 'off',
    ],
    ...(s.cluster ? clusterRows(s.cluster) : []),
  ];
  const table = rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
  return s.cluster ? `${table}\n\n${nodeTable(s.cluster)}` : table;
}

export async function runStatus(flags: JsonFlag): Promise<number> {
  const paths = aosPaths();
  try {
    // Never started by asking; the stats go out behind the ping (withKernel).
    return await withKernel(
      async (client, kernel) => {
        const stats = await client.request('stats', {});
        const info = await kernel;
        const { socket, home, workspace } = info;
        print(flags.json ?? false, { running: true, ...stats, socket, home, workspace }, describeStats(stats, info));
        return EXIT.ok;
      },
      { autostart: false, retryIfLost: true },
    );
  } catch (error) {
    if (error instanceof KernelUnreachableError && error.kind === 'connect') {
      // A script asking with --json gets JSON either way (and the same exit code 2).
      if (flags.json) {
        out(
          `${JSON.stringify({ running: false, home: paths.home, socket: paths.socket, workspace: paths.workspace })}\n`,
        );
        return EXIT.unreachable;
      }
      throw new CliError(
        `kernel not running (nothing answers on ${paths.socket}); start it with "aos kernel start"`,
        EXIT.unreachable,
      );
    }
    throw error;
  }
}

export const kernelVerb: VerbSpec = {
  name: 'kernel',
  summary: 'start, stop, restart or inspect the kernel daemon of $AOS_HOME (other verbs start it on demand)',
  help: `
Examples:
  aos kernel status --json
  aos kernel stop`,
  subcommands: [
    {
      name: 'start',
      summary: 'start the daemon unless it is running',
      options: [
        { flags: '--json', help: 'print {"pid","socket","started"}' },
        {
          flags: '--database <url>',
          help: 'join the cluster of kernels on this PostgreSQL (postgres://…; AOS_DATABASE_URL). Keep a password out of it (a command line shows in ps): PGPASSWORD or ~/.pgpass',
        },
        { flags: '--node <name>', help: "this kernel's name in the cluster (AOS_NODE; default: the host's name)" },
      ],
      help: `
Examples:
  AOS_HOME=/tmp/aos aos kernel start
  aos kernel start --database postgres://aos@/aos?host=/var/run/postgresql --node a`,
      run: ({ flags }) => runStart(flags as StartFlags),
    },
    {
      name: 'stop',
      summary: 'stop the daemon and wait until it is gone (processes resume on the next start)',
      options: [{ flags: '--json', help: 'print {"pid","forced"} (pid null when it was not running)' }],
      help: `
Example:
  aos kernel stop`,
      run: ({ flags }) => runStop(flags as JsonFlag),
    },
    {
      name: 'restart',
      summary: 'stop the daemon and start it with your environment (keys, base URLs, AOS_*); every process is kept',
      options: [{ flags: '--json', help: 'print {"old_pid","pid","workspace","processes"}' }],
      help: `
Example:
  export OPENAI_BASE_URL=http://127.0.0.1:11434/v1 && aos kernel restart`,
      run: ({ flags }) => runRestart(flags as JsonFlag),
    },
    {
      name: 'status',
      summary: 'show the daemon and its totals; exits 2 when it is not running',
      options: [
        {
          flags: '--json',
          help: 'print {"running":true, the kernel stats, socket, home, workspace}; when none runs {"running":false,"home","socket","workspace"} (exit 2)',
        },
      ],
      help: `
Example:
  aos kernel status --json | jq .processes`,
      run: ({ flags }) => runStatus(flags as JsonFlag),
    },
  ],
};
