/**
 * Why a guard: bwrap's --die-with-parent arms the sandbox's pid 1 only after the whole set-up and
 * never checks whether its parent died meanwhile, so a kernel killed in that window leaves the
 * sandbox running under pid 1 for good. So bwrap runs in a pid namespace whose init is this guard
 * (Linux kills a whole pid namespace, nested ones included, when its init exits), and the guard
 * exits when bwrap does or when its lifeline reads end-of-file. Only the kernel holds the other
 * end, so that happens whenever the kernel dies, even before the guard started: no race.
 * It joins the run's cgroups ($1 cgroup.procs files follow) before starting anything. As pid 1 of
 * its namespace it ignores signals it has no handler for, hence the TERM trap.
 */
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
  if (options.keepStdin && options.lifelineFd === 9) throw new Error('the guard keeps stdin on fd 9: the lifeline must be another');
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
