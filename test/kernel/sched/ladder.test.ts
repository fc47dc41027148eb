/** The ladder's decision alone: which signal wins, how long a climb holds, when it steps down. */
import { describe, expect, it } from 'vitest';
import { decideRung, type RouteSignals } from '../../../kernel/sched/ladder.js';

const quiet: RouteSignals = {
  malformed: 0,
  sameErrno: null,
  failures: 0,
  reminded: false,
  wakeUp: false,
  asked: null,
  headroom: null,
  turnsUsed: 0.1,
};
const rules = { stickTurns: 3, lowHeadroom: 0.2, lateTurns: 0.6 };

describe('decideRung', () => {
  it('weighs failures first, then a held climb, the kind of turn, the budget, the model’s ask', () => {
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, malformed: 1, asked: 'x' }, rules)).toMatchObject({
      rung: 1,
      reason: 'escalated: 1 malformed or unknown call',
    });
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, sameErrno: 'ENOENT' }, rules).reason).toBe(
      'escalated: ENOENT twice in a row',
    );
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, failures: 2 }, rules).reason).toBe(
      'escalated: 2 of the last 3 turns had a failed call',
    );
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, failures: 1 }, rules).rung).toBe(0);
    expect(decideRung(2, { rung: 1, stick: 2 }, { ...quiet, wakeUp: true }, rules)).toMatchObject({
      rung: 1,
      stick: 1,
    });
    expect(decideRung(2, { rung: 1, stick: 0 }, { ...quiet, wakeUp: true }, rules)).toMatchObject({
      rung: 0,
      reason: 'a wake-up: the cheapest rung',
    });
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, headroom: 0.1, asked: 'hard' }, rules).reason).toBe(
      'budget nearly spent (10% left): the cheapest rung',
    );
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, asked: 'hard' }, rules)).toMatchObject({
      rung: 1,
      reason: 'asked (SYS_ESCALATE): hard',
    });
    expect(decideRung(2, { rung: 2, stick: 0 }, quiet, rules)).toMatchObject({
      rung: 1,
      reason: 'stepped down: the last turn went well',
    });
  });

  it('climbs when most of the turn limit is used, never past the top, and holds longer after each climb', () => {
    expect(decideRung(2, { rung: 0, stick: 0 }, { ...quiet, turnsUsed: 0.6 }, rules).reason).toBe(
      'escalated: 60% of its turn limit used',
    );
    expect(decideRung(2, { rung: 2, stick: 0 }, { ...quiet, turnsUsed: 0.9 }, rules)).toMatchObject({
      rung: 2,
      reason: 'held at the top: 90% of its turn limit used',
    });
    expect(decideRung(2, { rung: 2, stick: 0 }, { ...quiet, malformed: 1 }, rules)).toMatchObject({
      rung: 2,
      reason: 'escalated: 1 malformed or unknown call (already the top rung)',
    });
    expect(decideRung(2, { rung: 0, stick: 0, climbs: 0 }, { ...quiet, malformed: 1 }, rules).stick).toBe(3);
    expect(decideRung(2, { rung: 0, stick: 0, climbs: 2 }, { ...quiet, malformed: 1 }, rules).stick).toBe(12);
    expect(decideRung(2, { rung: 0, stick: 0, climbs: 9 }, { ...quiet, malformed: 1 }, rules).stick).toBe(24);
  });
});
