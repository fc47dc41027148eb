/**
 * A model ladder's rung for the next turn, from what the kernel observed, most trusted first:
 * failures (a malformed or unknown call, the same errno twice in a row, a reply without a syscall)
 * climb a rung and hold it for a few turns; while held, the rung stays; then the kind of turn (a
 * wake-up is read on the cheapest rung), the budget's headroom (little left: the cheapest), and
 * last the model's own SYS_ESCALATE (the policy caps how often). A quiet turn steps down a rung.
 * Pure: the process keeps its state (kernel/proc/routing.ts), lifecycle.ts asks here.
 */
import { param } from '../../sys/param.js';

export interface LadderRules {
  /** Turns an escalation holds its rung. */
  stickTurns: number;
  /** Below this fraction of a budget left, only the cheapest rung. */
  lowHeadroom: number;
}

/** What a policy that says nothing of its ladder gets (param.ts holds the numbers). */
export const DEFAULT_LADDER_RULES: LadderRules = { stickTurns: param.ladderStickTurns, lowHeadroom: param.ladderLowHeadroom };

export interface RouteSignals {
  /** Calls of the last turn that were malformed or unknown (EINVAL, ENOSYS). */
  malformed: number;
  /** The errno the last two failing calls shared, or null. */
  sameErrno: string | null;
  /** The last reply had no syscall (the process was reminded). */
  reminded: boolean;
  /** The turn reads a wake-up: its last call waited (a message, a child, a timer) and was woken. */
  wakeUp: boolean;
  /** The model asked for a stronger rung (SYS_ESCALATE), and why. */
  asked: string | null;
  /** The fraction of the tightest budget left over it (null: no budget applies). */
  headroom: number | null;
}

export interface RouteDecision {
  rung: number;
  /** Turns the rung is held after this one. */
  stick: number;
  reason: string;
}

export function decideRung(top: number, at: { rung: number; stick: number }, s: RouteSignals, rules: LadderRules): RouteDecision {
  const climb = (why: string): RouteDecision => {
    const rung = Math.min(at.rung + 1, top);
    return { rung, stick: rules.stickTurns, reason: `${why}${rung === at.rung ? ' (already the top rung)' : ''}` };
  };
  if (s.malformed > 0) return climb(`escalated: ${s.malformed} malformed or unknown call${s.malformed === 1 ? '' : 's'}`);
  if (s.sameErrno !== null) return climb(`escalated: ${s.sameErrno} twice in a row`);
  if (s.reminded) return climb('escalated: a reply without a syscall');
  if (at.stick > 0) return { rung: at.rung, stick: at.stick - 1, reason: `held after an escalation (${at.stick - 1} more turn${at.stick - 1 === 1 ? '' : 's'})` };
  if (s.wakeUp) return { rung: 0, stick: 0, reason: 'a wake-up: the cheapest rung' };
  if (s.headroom !== null && s.headroom < rules.lowHeadroom) return { rung: 0, stick: 0, reason: `budget nearly spent (${Math.max(0, Math.round(s.headroom * 100))}% left): the cheapest rung` };
  if (s.asked !== null) return climb(`asked (SYS_ESCALATE): ${s.asked}`);
  if (at.rung > 0) return { rung: at.rung - 1, stick: 0, reason: 'stepped down: the last turn went well' };
  return { rung: 0, stick: 0, reason: 'the cheapest rung' };
}
