/**
 * The kernel daemon's body, loaded by its entry (aosd.ts) once that holds the pid-file lock: loads
 * the policy, opens the store, serves the socket. SIGTERM, SIGINT and the `shutdown` method stop it
 * cleanly: the kernel is closed, not its processes — they resume on the next start.
 */
import { memoryTreePrefix } from './memory-id.js';
import { clusterFromEnv } from './cluster-node.js';
import { serveOtherNodes } from './methods/cluster-methods.js';
import { ownHandlers } from './methods/methods.js';
import path from 'node:path';
import { describeSweep, sweepStaleSandboxes } from '../drivers/exec/index.js';
import { currentPid } from '../sys/blame.js';
import type { DaemonLogger } from './log.js';
import type { DaemonReport } from '../protocol/daemon-report.js';
// The daemon's composition opens the kernel it serves (kernel.ts); everything else here sees it through its door (api.ts).
import { Kernel } from '../kernel/kernel.js';
import { loadPolicy, parseLimits, type Policy, SecretBox, type WebhookRoutes } from '../kernel/api.js';
import { KERNEL_VERSION } from '../sys/version.js';
import type { AosPaths } from '../sys/host/paths.js';
import { checkSandboxBinds, checkStatePlacement } from '../sys/host/state-placement.js';
import type { PidLock } from './pid-lock.js';
import { lockWorkspace, type WorkspaceLock } from './workspace-lock.js';
import { type PolicyWatch, watchPolicy } from './policy-watch.js';
import { param } from '../sys/param.js';
import { parseDuration } from '../protocol/duration.js';
import { KernelServer } from './server.js';
import { Gateway, publicWebhookUrl } from './gateway.js';
import { webhooksElsewhere } from './cluster-webhooks.js';
import { KernelClient } from '../client/client.js';
import { McpHttpEndpoint } from './mcp-http.js';
import { ensureToken } from '../client/mcp/token.js';
import { metricsWanted } from './metrics-wanted.js';
import { openTracing, type Tracing } from '../drivers/otel/otlp.js';

/** What the entry hands over: where, its log, the pid-file lock it holds, and its line to the CLI. */
export interface DaemonEntry {
  paths: AosPaths;
  log: DaemonLogger;
  lock: PidLock;
  /** Tell the CLI that started us how far the start has come ('starting'), or how it went (then the line is cut). */
  report(message: DaemonReport): Promise<void>;
}

/** Longest a clean stop may take before the daemon exits anyway. */
const STOP_TIMEOUT_MS = 10_000;
/** The exit code of a daemon whose node was fenced (EX_TEMPFAIL: start it again). */
const EXIT_FENCED = 75;

let paths: AosPaths;
let log: DaemonLogger;
let report: DaemonEntry['report'];
let lock: PidLock | null = null;
let workspaceLock: WorkspaceLock | null = null;
let policyWatch: PolicyWatch | null = null;
let kernel: Kernel | null = null;
let server: KernelServer | null = null;
let tracing: Tracing | null = null;
let stopping = false;
/** A policy's secrets masked out of a text: set once their values are loaded (createKernel). */
let masked = (text: string): string => text;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function teardown(crashed = false): Promise<void> {
  policyWatch?.close();
  await server?.close();
  // A clean stop keeps a backup of the last good state beside the store.
  await kernel?.close({ crashed, backup: !crashed });
  // The spans of the last turns go out before the daemon does (the batch processor holds up to 5 s of them).
  await tracing?.shutdown().catch((error: unknown) => log('warn', `traces: ${errorMessage(error)}`));
  await workspaceLock?.release();
  await lock?.release();
}

/** The workspace's lock (workspace-lock.ts), or none when AOS_SHARE_WORKSPACE=1 says two kernels may share it. */
async function holdWorkspace(): Promise<WorkspaceLock | null> {
  if (process.env.AOS_SHARE_WORKSPACE === '1') {
    log(
      'warn',
      `AOS_SHARE_WORKSPACE=1: the workspace ${paths.workspace} is not locked; another kernel may write there too`,
    );
    return null;
  }
  return lockWorkspace(paths.workspace, paths.home);
}

async function stop(reason: string, code = 0, crashed = false): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('info', `stopping (${reason})`);
  const timer = setTimeout(() => {
    log('error', `clean stop took over ${STOP_TIMEOUT_MS} ms; exiting anyway`);
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  try {
    await teardown(crashed);
    log('info', 'stopped');
  } catch (error) {
    log('error', `error while stopping: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
    process.exit(code);
  }
}

/** The host paths the policy's stdio MCP servers have bound into their sandboxes. */
function mcpBinds(policy: Policy): Array<{ what: string; path: string }> {
  return Object.entries(policy.mcpServers ?? {}).flatMap(([name, server]) =>
    server.kind === 'stdio'
      ? [...server.read, ...server.write].map((p) => ({ what: `MCP server ${name}'s bound path`, path: p }))
      : [],
  );
}

/** AOS_WEBHOOK_PORT must be bound as given; the default falls back to a free port when taken. AOS_WEBHOOK_URL: publicWebhookUrl. */
async function createKernel(policy: Policy): Promise<Kernel> {
  const secrets = await SecretBox.load(policy.safety.secrets, paths.home, process.env);
  // From here every line of the daemon's log is masked (this function's errors too): an error may
  // quote a setting, a syscall's arguments, a driver's reply or a stack naming a policy's secret.
  if (secrets.size > 0) {
    const unmasked = log;
    masked = (text) => String(secrets.mask(text));
    log = (level, message) => unmasked(level, masked(message));
  }
  const explicit = process.env.AOS_WEBHOOK_PORT;
  const port = explicit === undefined || explicit === '' ? param.webhookPort : Number(explicit);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`AOS_WEBHOOK_PORT must be a port number from 0 to 65535 (got "${explicit}")`);
  }
  const webhookUrl = publicWebhookUrl(process.env.AOS_WEBHOOK_URL);
  const retention = process.env.AOS_RETENTION;
  const options = {
    retentionMs: retention ? parseDuration(retention, 'AOS_RETENTION') : undefined,
    workspace: paths.workspace,
    rootCapabilities: policy.rootCapabilities,
    netAllowPrivate: policy.netAllowPrivate,
    defaultModel: process.env.AOS_MODEL?.trim() || policy.defaultModel,
    mcp: policy.mcpServers,
    skillsDir: paths.skills,
    safety: policy.safety,
    cost: policy.cost,
    secrets,
    storeFile: paths.db,
    modelLimits: parseLimits(process.env.AOS_LIMITS),
    // Chroma starts on the first MEM_* call, with its data under AOS_HOME (or CHROMA_URL's server).
    memory: {
      dataDir: paths.chroma,
      url: process.env.CHROMA_URL || undefined,
      embedder: process.env.AOS_EMBEDDER,
      log,
      treePrefix: memoryTreePrefix(paths.home, paths.db, process.env, (message) => log('warn', message)),
    },
    cluster: clusterFromEnv(process.env, paths.home, paths.workspace),
    webhookUrl,
    log,
    // OTEL_EXPORTER_OTLP_ENDPOINT & co.: spans of turns and syscalls over OTLP/HTTP (the SDK is loaded only then).
    tracing: (tracing = await openTracing(process.env, log)) ?? undefined,
  };
  // MCP over HTTP: each session is a client of our own socket, like `aos mcp` (it is up before the first request).
  const mcp = new McpHttpEndpoint({
    token: await ensureToken(paths.mcpToken),
    connect: () => KernelClient.connect(paths),
    maxBodyBytes: param.mcpHttpMaxBodyBytes,
    maxSessions: param.mcpHttpMaxSessions,
    sessionIdleMs: param.mcpHttpSessionIdleMs,
  });
  // AOS_METRICS=1: Prometheus's /metrics on the same gateway, in front of MCP (metrics-route.ts).
  const metrics = metricsWanted(process.env.AOS_METRICS)
    ? new (await import('./metrics-route.js')).MetricsRoute(mcp)
    : null;
  // A route another node of the cluster has is carried there (the kernel is known once it is made).
  let made: Kernel | null = null;
  const elsewhere = webhooksElsewhere(() => made);
  const listen = (routes: WebhookRoutes, at: number) =>
    Gateway.listen(routes, { port: at, maxBodyBytes: param.webhookMaxBodyBytes, route: metrics ?? mcp, elsewhere });
  // The default port taken falls back to a free one here, inside the one start: starting the kernel
  // again would open its store a second time and lose what the first open saw (a new store).
  const gateway = async (routes: WebhookRoutes) => {
    try {
      return await listen(routes, port);
    } catch (error) {
      if (explicit) throw error;
      log('warn', `${errorMessage(error)}; using a free port instead (set AOS_WEBHOOK_PORT to choose one)`);
      return listen(routes, 0);
    }
  };
  made = await Kernel.create({ ...options, gateway });
  metrics?.attach(made);
  return made;
}

async function start(): Promise<void> {
  workspaceLock = await holdWorkspace();
  // Sandboxes of an earlier kernel that died without cleaning up (SIGKILL, OOM) go before we serve.
  const swept = await sweepStaleSandboxes();
  const sweepLine = describeSweep(swept);
  if (sweepLine) log(swept.failed.length > 0 ? 'warn' : 'info', sweepLine);
  await report({ type: 'starting', pid: process.pid, stage: 'loading the policy' });
  const policy = await loadPolicy(paths.policy, !process.env.AOS_POLICY);
  checkStatePlacement(
    paths,
    policy.safety.secrets.flatMap((s) =>
      s.fromFile ? [{ what: `the file of secret ${s.name}`, path: path.join(paths.home, s.fromFile) }] : [],
    ),
  );
  checkSandboxBinds(paths, mcpBinds(policy));
  await report({ type: 'starting', pid: process.pid, stage: 'opening the store' });
  kernel = await createKernel(policy);
  // Declared dead by another node: its store commits nothing more. Stop, so that a start (by hand or
  // a supervisor's) resumes its processes from the database under a new epoch.
  kernel.cluster?.onFenced(
    (epoch) =>
      void stop(
        `this node (epoch ${epoch}) was declared dead by another node and can commit nothing more; start it again to resume its processes`,
        EXIT_FENCED,
      ),
  );
  // What other nodes ask of this one's processes (kill, send, stop, wait, approve, deny).
  // Carried out here as asked: a spawn another node placed here is not placed again.
  serveOtherNodes(kernel, ownHandlers);
  policyWatch = watchPolicy(kernel, policy, log, {
    modelFromEnv: Boolean(process.env.AOS_MODEL?.trim()),
    workspace: paths.workspace,
  });
  if (kernel.store.createdNote) log('warn', kernel.store.createdNote);
  const started = kernel;
  // The last good state, kept from the start: a later corruption has something to be restored from.
  void started.store.backup().then(
    (file) => file && log('info', `backed up the kernel store to ${file}`),
    (error: unknown) => log('warn', `could not back up the kernel store: ${errorMessage(error)}`),
  );
  server = await KernelServer.listen(kernel, {
    socket: paths.socket,
    home: paths.home,
    workspace: paths.workspace,
    log,
    onShutdown: () => void stop('shutdown requested by a client'),
  });
  // The daemon outlives the directory it was started from. A relative AOS_POLICY named a file from
  // there: pinned to it, so that the policy it runs and the settings it shows (ping) stay that file.
  if (process.env.AOS_POLICY) process.env.AOS_POLICY = paths.policy;
  process.chdir(paths.home);
  log(
    'info',
    `kernel ${KERNEL_VERSION} ready: pid ${process.pid}, socket ${paths.socket}, workspace ${paths.workspace}, policy ${policy.file}`,
  );
  await report({ type: 'ready', pid: process.pid, socket: paths.socket });
}

/** Run the daemon the entry has locked in: its signals, its crash handlers, its start. */
export async function runDaemon(entry: DaemonEntry): Promise<void> {
  ({ paths, log, report } = entry);
  lock = entry.lock;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(signal));
  process.on('uncaughtException', (error) => {
    // Charge the crash to the process it was raised for (if any): the next start will not replay its turn forever.
    const pid = currentPid();
    log(
      'error',
      `uncaught exception${pid === null ? '' : ` while working for process ${pid}`}: ${error.stack ?? error.message}`,
    );
    try {
      kernel?.noteCrash(pid);
    } catch (noteError) {
      log('error', `could not record the crash: ${errorMessage(noteError)}`);
    }
    void stop('uncaught exception', 70, true);
  });
  process.on('unhandledRejection', (reason) => {
    log('error', `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });

  try {
    await start();
  } catch (error) {
    const message = masked(errorMessage(error));
    log('error', message);
    stopping = true;
    await teardown().catch(() => undefined);
    await report({ type: 'failed', message });
    process.exit(1);
  }
}
