/**
 * A run ended: restart it as the unit says — `on-failure` (an exit code other than 0, or killed),
 * `always` — after a backoff that doubles each time up to its most, at most `restart_max` times
 * since the last firing of a trigger (pm2's and systemd's semantics); a run the unit replaced is no
 * failure. Otherwise the next queued firing runs.
 */
import type { Clock } from '../../sys/clock.js';
import type { Armed, RunStarter } from './runs.js';

interface Context {
  starter: RunStarter;
  clock: Clock;
}

export function onRunEnded(
  ctx: Context,
  armed: Armed,
  pid: number,
  state: 'exited' | 'killed',
  code: number | null,
): void {
  const replaced = armed.replaced.delete(pid);
  // A child another process spawned from the unit is that process's to handle.
  if (armed.spawned.delete(pid)) return;
  if (!armed.record.enabled) return;
  const { spec } = armed.unit;
  const failed = state === 'killed' || (code ?? 0) !== 0;
  const restart = !replaced && (spec.restart === 'always' || (spec.restart === 'on-failure' && failed));
  if (restart) {
    const ended = state === 'killed' ? 'killed' : `exited ${code ?? 0}`;
    if (armed.restarts >= spec.restart_max) {
      const limit = { trigger: 'restart', scheduledFor: null, catchUp: false, fields: {} };
      ctx.starter.skipped(armed, limit, `pid ${pid} ${ended}; the restart limit (${spec.restart_max}) is reached`);
    } else {
      const n = ++armed.restarts;
      const delay = Math.min(armed.unit.restartBackoffMs * 2 ** (n - 1), armed.unit.restartBackoffMaxMs);
      armed.cancelRestart?.();
      armed.cancelRestart = ctx.clock.setTimer(delay, () => {
        armed.cancelRestart = null;
        const fields = { kind: 'restart', restart: n, previous_pid: pid, previous_exit: ended };
        // In the failed run's place in its chain, not after it: restarts have their own limit.
        const chain = ctx.starter.chains.of(pid).slice(0, -1);
        void ctx.starter.fire(armed, {
          trigger: `restart ${n}/${spec.restart_max}`,
          scheduledFor: null,
          catchUp: false,
          fields,
          restart: n,
          chain,
        });
      });
      return;
    }
  } else if (!failed) {
    armed.restarts = 0;
  }
  const next = armed.queue.shift();
  if (next && armed.live.size === 0) void ctx.starter.fire(armed, { ...next, trigger: `${next.trigger} (queued)` });
  else if (next) armed.queue.unshift(next);
}
