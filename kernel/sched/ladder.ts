/**
 * A model ladder's rung for the next turn, from what the kernel observed, most trusted first:
 * failures (a malformed or unknown call, the same errno twice in a row, failed calls in two of the
 * last three turns, a reply without a syscall, most of the turn limit used) climb a rung and hold it for a few turns; while held, the rung stays; then the kind of turn (a
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
  /** Past this share of its turn limit, a process climbs: it is running out of tries. */
  lateTurns?: number;
}

/** What a policy that says nothing of its ladder gets (param.ts holds the numbers). */
export const DEFAULT_LADDER_RULES: LadderRules = {
  stickTurns: param.ladderStickTurns,
  lowHeadroom: param.ladderLowHeadroom,
  lateTurns: param.ladderLateTurns,
};

export interface RouteSignals {
  /** Calls of the last turn that were malformed or unknown (EINVAL, ENOSYS). */
  malformed: number;
  /** The errno the last two failing calls shared, or null. */
  sameErrno: string | null;
  /** Of the last three turns, how many had a call that failed (any errno). */
  failures: number;
  /** The share of its turn limit the process has used. */
  turnsUsed: number;
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

/** The longest an escalation holds, however often the process climbed. */
const MAX_STICK = 24;

export function decideRung(
  top: number,
  at: { rung: number; stick: number; climbs?: number },
  s: RouteSignals,
  rules: LadderRules,
): RouteDecision {
  // A process that climbs again after stepping down holds longer each time (doubling): its work is harder than its rung.
  const climb = (why: string): RouteDecision => {
    const rung = Math.min(at.rung + 1, top);
    const stick = Math.min(MAX_STICK, rules.stickTurns * 2 ** (at.climbs ?? 0));
    return { rung, stick, reason: `${why}${rung === at.rung ? ' (already the top rung)' : ''}` };
  };
  if (s.malformed > 0)
    return climb(`escalated: ${s.malformed} malformed or unknown call${s.malformed === 1 ? '' : 's'}`);
  if (s.sameErrno !== null) return climb(`escalated: ${s.sameErrno} twice in a row`);
  if (s.failures >= 2) return climb(`escalated: ${s.failures} of the last 3 turns had a failed call`);
  if (s.turnsUsed >= (rules.lateTurns ?? 1)) {
    const used = `${Math.round(s.turnsUsed * 100)}% of its turn limit used`;
    if (at.rung < top) return climb(`escalated: ${used}`);
    return { rung: top, stick: 0, reason: `held at the top: ${used}` };
  }
  if (s.reminded) return climb('escalated: a reply without a syscall');
  if (at.stick > 0)
    return {
      rung: at.rung,
      stick: at.stick - 1,
      reason: `held after an escalation (${at.stick - 1} more turn${at.stick - 1 === 1 ? '' : 's'})`,
    };
  if (s.wakeUp) return { rung: 0, stick: 0, reason: 'a wake-up: the cheapest rung' };
  if (s.headroom !== null && s.headroom < rules.lowHeadroom)
    return {
      rung: 0,
      stick: 0,
      reason: `budget nearly spent (${Math.max(0, Math.round(s.headroom * 100))}% left): the cheapest rung`,
    };
  if (s.asked !== null) return climb(`asked (SYS_ESCALATE): ${s.asked}`);
  if (at.rung > 0) return { rung: at.rung - 1, stick: 0, reason: 'stepped down: the last turn went well' };
  return { rung: 0, stick: 0, reason: 'the cheapest rung' };
}
