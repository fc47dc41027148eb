/**
 * A timer a tainted writer set (issue 49). Its prompt was written from a context that held outside
 * content (SYS_SCHEDULE {prompt: the page's order}), and it comes back later — repeating, across
 * restarts — into a context whose taint may have ended since (a compaction): unframed, the order
 * would reach a clean context with nothing to say where it came from. So the setter's mark is kept
 * with the timer (ipc/mailboxes.ts, the timer's store row), and each time the timer fires its prompt
 * is framed as outside content and taints the process again, as a tainted writer's mail does.
 */
import type { TaintSourceKind } from '../../sys/taint.js';
import type { Proc } from '../proc/proc.js';
import { type FileTaint, TaintLedger } from './taint-ledger.js';

export interface TimerTaintHost {
  readonly policy: { readonly taint?: { readonly enabled: boolean } | null };
  /** Outside content given to a live process: framed, and a source of its taint while the policy tracks it (safety.ts). */
  outside(pid: number, source: TaintSourceKind, detail: string, text: string): string;
}

/** What a timer keeps of its setter's taint as it is set: a tainted writer's mark (a writer stays one), else null. */
export function timerMark(host: TimerTaintHost, setter: Proc | undefined): string | null {
  if (!setter || host.policy.taint?.enabled !== true) return null;
  return TaintLedger.markOf(setter);
}

/** A fired timer's prompt as process `pid` is shown it: framed and tainting it when its setter was a tainted writer. */
export function timerPrompt(
  host: TimerTaintHost,
  pid: number,
  timer: { id: string; prompt: string; taint: string | null },
): string {
  if (timer.taint === null) return timer.prompt;
  let mark: FileTaint | undefined;
  try {
    mark = JSON.parse(timer.taint) as FileTaint;
  } catch {
    // A row that cannot be read still says its setter was tainted: framed, with less to name.
    mark = undefined;
  }
  const first = mark?.sources?.[0];
  const by = first ? ` (tainted by ${first.source} ${first.detail})` : '';
  const detail = `timer ${timer.id}, set by process ${mark?.pid ?? pid} while tainted${by}`;
  return host.outside(pid, 'mail', detail, timer.prompt);
}
