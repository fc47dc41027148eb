/**
 * The command line that starts a sandbox: bwrap's options (passed through `--args`, so
 * /proc/1/cmdline inside does not reveal host paths), the identity and /etc files it is given, the
 * rlimits, and the guard that bwrap runs under.
 *
 * Why a guard (guardedLaunch): bwrap's --die-with-parent arms the sandbox's pid 1 only after the
 * whole set-up and never checks whether its parent died meanwhile, so a kernel killed in that
 * window leaves the sandbox running under pid 1 for good. So bwrap runs in a pid namespace whose
 * init is this guard (Linux kills a whole pid namespace, nested ones included, when its init
 * exits), and the guard exits when bwrap does or when its lifeline reads end-of-file. Only the
 * kernel holds the other end, so that happens whenever the kernel dies, even before the guard
 * started: no race. It joins the run's cgroups ($1 cgroup.procs files follow) before starting
 * anything. As pid 1 of its namespace it ignores signals it has no handler for, hence the TERM trap.
 */
import type { HostLayout } from './find-bwrap.js';
import type { ExecLimits } from './types.js';

/** The identity the command runs as inside the sandbox (the conventional "nobody" ids). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;
export const SANDBOX_HOSTNAME = 'aos-sandbox';

/** Synthesized /etc files, so tools that look up the user or localhost work without host data. */
export function renderSandboxEtcFiles(shell: string): { passwd: string; group: string; hosts: string } {
  return {
    passwd: `agent:x:${SANDBOX_UID}:${SANDBOX_GID}:aos agent:/workspace:${shell}\n`,
    group: `agent:x:${SANDBOX_GID}:\n`,
    hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t${SANDBOX_HOSTNAME}\n`,
  };
}

/** Child stdio slots (beyond 0-2) that carry data to and from bwrap; the guard's lifeline comes after them. */
export const FD = { args: 3, passwd: 4, group: 5, hosts: 6, status: 7 } as const;

/** The environment every command starts with (the exec gate's approvals show what differs from it). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/workspace',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
};

/** What a long-lived sandboxed server (an MCP server) adds to EXEC_CMD's sandbox; EXEC_CMD uses none of it. */
export interface SandboxExtras {
  /** Host paths bound read-only at the same path. */
  readPaths?: readonly string[];
  /** Host paths bound read-write at the same path. */
  writePaths?: readonly string[];
  /** Keep the host's network (and its resolver and CA certificates) instead of none. */
  network?: boolean;
  /** Variables set beside the sandbox's own few (which win). */
  env?: Readonly<Record<string, string>>;
  /** bwrap arguments that mount the workspace instead of binding it whole (scoped exec: the granted paths). */
  workspaceMounts?: readonly string[];
  /** Bind the whole workspace read-only (a secret run leaves nothing behind). */
  readOnlyWorkspace?: boolean;
  /** The exec gate's host path, bound read-only at GATE_PATH. */
  gate?: string;
  /** HOME for the command (a secret run's is its private /tmp). */
  home?: string;
  /** Where the command starts, inside the sandbox (the process's working directory; /workspace when absent). */
  chdir?: string;
  /** bwrap arguments applied after every workspace and host-path mount: the policy's fs rules (rule-overlays.ts). */
  overlays?: readonly string[];
}

/** Where the exec gate sits inside the sandbox. */
export const GATE_PATH = '/run/aos/exec-gate';

const NETWORK_ETC = ['/etc/resolv.conf', '/etc/nsswitch.conf', '/etc/ssl/certs', '/etc/ca-certificates'];

/**
 * bwrap options, passed through `--args` so /proc/1/cmdline inside does not reveal host paths.
 * Order matters: bwrap applies mounts in sequence and the final remount makes / read-only.
 * Without a workspace (null) nothing is bound at /workspace and the sandbox starts in /tmp.
 */
export function buildBwrapOptions(
  workspace: string | null,
  limits: ExecLimits,
  layout: HostLayout,
  extras: SandboxExtras = {},
): string[] {
  const tmpfsBytes = String(limits.maxFileBytes);
  const cwd = workspace === null ? '/tmp' : '/workspace';
  // The sandbox's own variables win: a server's env cannot redirect PATH or HOME.
  const env = { ...extras.env, ...SANDBOX_ENV, HOME: extras.home ?? cwd };
  return [
    '--unshare-all',
    // A user namespace lets the command run as a non-root uid, so RLIMIT_NPROC applies to it.
    '--unshare-user',
    '--disable-userns',
    ...(extras.network ? ['--share-net'] : []),
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_GID),
    '--hostname',
    SANDBOX_HOSTNAME,
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    '--json-status-fd',
    String(FD.status),
    '--ro-bind',
    '/usr',
    '/usr',
    ...layout.rootArgs,
    '--perms',
    '0755',
    '--dir',
    '/etc',
    ...layout.etcEntries.flatMap((entry) => ['--ro-bind-try', entry, entry]),
    ...(extras.network ? NETWORK_ETC.flatMap((entry) => ['--ro-bind-try', entry, entry]) : []),
    '--perms',
    '0644',
    '--ro-bind-data',
    String(FD.passwd),
    '/etc/passwd',
    '--perms',
    '0644',
    '--ro-bind-data',
    String(FD.group),
    '/etc/group',
    '--perms',
    '0644',
    '--ro-bind-data',
    String(FD.hosts),
    '/etc/hosts',
    '--proc',
    '/proc',
    // Under the exec gate nothing may write into another process: /proc/PID/mem of a program the
    // gate stopped would change the argv or environment a person approved (ptrace and
    // process_vm_writev are refused by the gate's filter; a read-only /proc refuses the open).
    ...(extras.gate ? ['--remount-ro', '/proc'] : []),
    '--dev',
    '/dev',
    // Every writable tmpfs is sized: tmpfs pages are host RAM that no rlimit accounts for.
    '--perms',
    '1777',
    '--size',
    tmpfsBytes,
    '--tmpfs',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    '--perms',
    '1777',
    '--size',
    tmpfsBytes,
    '--tmpfs',
    '/tmp',
    ...(workspace === null
      ? []
      : (extras.workspaceMounts ?? [extras.readOnlyWorkspace ? '--ro-bind' : '--bind', workspace, '/workspace'])),
    ...(extras.readPaths ?? []).flatMap((p) => ['--ro-bind', p, p]),
    ...(extras.writePaths ?? []).flatMap((p) => ['--bind', p, p]),
    ...(extras.overlays ?? []),
    ...(extras.gate ? ['--ro-bind', extras.gate, GATE_PATH] : []),
    '--chdir',
    extras.chdir ?? cwd,
    '--remount-ro',
    '/',
  ];
}

/**
 * The sandbox's rlimits as NAME=SOFT:HARD. CPU: SIGXCPU first (a readable "CPU time limit
 * exceeded"), SIGKILL a second later. RLIMIT_DATA, not RLIMIT_AS: it counts memory actually made
 * writable (heap, anonymous maps), so runtimes that reserve large PROT_NONE ranges (V8, JVM, Go) start.
 */
export function sandboxRlimits(limits: ExecLimits): string[] {
  return [
    `cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `fsize=${limits.maxFileBytes}:${limits.maxFileBytes}`,
    `nofile=${limits.maxOpenFiles}:${limits.maxOpenFiles}`,
    `nproc=${limits.maxProcesses}:${limits.maxProcesses}`,
    `data=${limits.maxMemoryBytes}:${limits.maxMemoryBytes}`,
    'core=0:0',
  ];
}

/** `argv` under prlimit with the sandbox's rlimits (no shell in between). */
export function buildLimitedCommand(argv: readonly string[], limits: ExecLimits, prlimit: string): string[] {
  return [prlimit, ...sandboxRlimits(limits).map((r) => `--${r}`), '--', ...argv];
}

// ---- the guard bwrap runs under ----

const GUARD_SCRIPT = `trap 'exit 137' TERM
n=$1; shift
while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done
(read -r _ <&LIFELINE; kill -TERM $$) &
"$@" LIFELINE<&- &
wait $!`;

/** Processes of the guard itself that share the run's cgroup: the guard and its lifeline watcher. */
export const GUARD_OWN_PIDS = 2;

export interface GuardOptions {
  /** util-linux unshare. */
  unshare: string;
  /** The child fd the guard watches; it must reach end-of-file when the kernel dies. */
  lifelineFd: number;
  /** cgroup.procs files to join first; empty without cgroups. */
  procsPaths: string[];
  /** Without root, the pid namespace needs a user namespace of its own. */
  asRoot: boolean;
  /** Hand the guard's stdin to the command (a long-lived server reads requests there); fd 9 carries it past `&`. */
  keepStdin?: boolean;
}

// sh gives a background command /dev/null for stdin: keep the real one on fd 9 and restore it.
const STDIN_KEEP = 'exec 9<&0\n';

/** The file and arguments that run `command` (bwrap and its argv) under the guard. */
export function guardedLaunch(command: string[], options: GuardOptions): { file: string; args: string[] } {
  // POSIX sh redirects single-digit fds only.
  if (options.lifelineFd > 9) throw new Error(`the guard's lifeline must be fd 3-9 (got ${options.lifelineFd})`);
  if (options.keepStdin && options.lifelineFd === 9)
    throw new Error('the guard keeps stdin on fd 9: the lifeline must be another');
  let script = GUARD_SCRIPT.replaceAll('LIFELINE', String(options.lifelineFd));
  if (options.keepStdin) script = STDIN_KEEP + script.replace('"$@" ', '"$@" <&9 9<&- ');
  const namespaces = options.asRoot ? ['--pid'] : ['--user', '--map-root-user', '--pid'];
  return {
    file: options.unshare,
    args: [
      ...namespaces,
      '--fork',
      // bwrap reads /proc/<its child's pid>: it needs a /proc of the namespace it runs in.
      '--mount-proc',
      '--kill-child',
      '--',
      '/bin/sh',
      '-c',
      script,
      'aos-exec-guard',
      String(options.procsPaths.length),
      ...options.procsPaths,
      ...command,
    ],
  };
}
