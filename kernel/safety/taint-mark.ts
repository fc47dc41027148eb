/**
 * Outside content entering a process's context (issue 49): framed with the process's tag
 * (sys/outside-data.ts) and recorded as a source of its taint, the row persisted so a restart keeps
 * it. Every floor that lets outside content in calls here: the taint interceptor for results
 * (taint-reads.ts), channels for a message delivered, units for a run started by a webhook.
 */
import { frameOutside } from '../../sys/outside-data.js';
import { taintSource, type TaintSourceKind } from '../../sys/taint.js';
import type { KernelStore } from '../store/api.js';
import type { Proc } from '../proc/proc.js';
import { persist } from '../proc/proc-runtime.js';
import { turnOf } from '../loop/turn-state.js';

export interface MarkHost {
  readonly store: KernelStore;
  /** Secret values out of an excerpt (none configured: as is). */
  shown?(text: string): string;
}

/** The turn a source is noted at: the one running, else the last counted. */
function turnNow(proc: Proc): number {
  return turnOf(proc).pending?.turn ?? proc.pcb.counters.turns;
}

/**
 * `proc` is given `content` from `source` at `detail`: a source of its taint when `track` (the
 * policy's `taint.enabled`), and the content framed for it either way.
 */
export function takeOutside(
  host: MarkHost,
  proc: Proc,
  source: TaintSourceKind,
  detail: string,
  content: string,
  track: boolean,
  options: { sticky?: boolean } = {},
): string {
  const fresh = !proc.taint.framed;
  const framed = frameOutside(proc.taint.tag, source, detail, content);
  if (track) noteSource(host, proc, source, detail, content, options.sticky === true);
  // Its tag was made just now: kept with its row, so a restart reads its frames with the same one.
  else if (fresh) persist(host.store, proc);
  return framed;
}

/** A source of `proc`'s taint, without framing anything (a child spawned tainted, a binary file read). */
export function noteSource(
  host: MarkHost,
  proc: Proc,
  source: TaintSourceKind,
  detail: string,
  excerpt: string,
  sticky = false,
): void {
  const shown = host.shown ? host.shown(excerpt.slice(0, 4096)) : excerpt;
  proc.taint.add(taintSource(source, detail, shown, turnNow(proc)), sticky);
  persist(host.store, proc);
}
