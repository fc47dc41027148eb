/**
 * `aos kernel restart`: check the policy and what a start needs, stop the daemon and start it with
 * the caller's settings; its processes resume.
 */
import { pingKernel, startKernel } from '../client/connect.js';
import { KernelUnreachableError } from '../client/errors.js';
import { aosPaths } from '../sys/host/paths.js';
import { isEnded, PROC_STATES } from '../sys/types.js';
import { CliError, EXIT } from './fail.js';
import { launchLazily } from './connect.js';
import { stopKernel } from './launch-stop.js';
import { out } from './out.js';

/** Live processes of the running kernel, or null when none answers. */
async function liveCount(): Promise<number | null> {
  try {
    const { client } = await pingKernel(aosPaths());
    try {
      const stats = await client.request('stats', {});
      return PROC_STATES.filter((s) => !isEnded(s)).reduce((n, s) => n + stats.processes[s], 0);
    } finally {
      client.close();
    }
  } catch (error) {
    if (error instanceof KernelUnreachableError) return null;
    throw error;
  }
}

export async function runRestart(flags: { json?: boolean }): Promise<number> {
  const paths = aosPaths();
  // A policy the new kernel would refuse must not cost the running one: checked before anything stops.
  const { checkPolicyFile } = await import('./policy.js');
  const policy = await checkPolicyFile(paths.policy);
  if (!policy.ok) {
    throw new CliError(
      `not restarting: the new kernel would refuse its policy (${policy.error ?? 'invalid'}); the running kernel keeps running. Fix the file (aos policy check ${paths.policy}) and restart again`,
    );
  }
  // So must a workspace or home it could not start in (a file, another home's kernel's): nothing stops.
  const { runDaemonProgram } = await import('./launch.js');
  const check = runDaemonProgram('start-check', []);
  let startable: { ok: boolean; problems: string[] };
  try {
    startable = JSON.parse(check.stdout) as typeof startable;
  } catch {
    throw new CliError(`could not check the start: ${check.stderr.trim() || `the checker exited ${check.status}`}`);
  }
  if (!startable.ok)
    throw new CliError(
      `not restarting: a new kernel could not start (${startable.problems.join('; ')}); the running kernel keeps running`,
    );
  const live = await liveCount();
  const stopped = await stopKernel(paths);
  const started = await startKernel(paths, launchLazily);
  started.client.close();
  const { pid, workspace } = started.kernel;
  const result = { old_pid: stopped.pid, pid, workspace, processes: live ?? 0 };
  const before =
    stopped.pid === null
      ? 'kernel was not running'
      : `kernel ${stopped.pid} stopped${stopped.forced ? ' (killed)' : ''}`;
  const human = `${before}; kernel started (pid ${pid}, workspace ${workspace})${live ? `, ${live} live process${live === 1 ? '' : 'es'} resumed` : ''}`;
  out(flags.json ? `${JSON.stringify(result)}\n` : `${human}\n`);
  return EXIT.ok;
}
