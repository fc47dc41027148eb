/** Result shapes of `record` and `eval` (tape-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';
import { PROC_STATES } from '../sys/types.js';

/** How a run ended: the recording's state and code, `diverged` (eval stopped at the first call that differs) or `failed` (the model could not be asked). */
const ended = s.object({
  state: s.oneOf([...PROC_STATES, 'diverged', 'failed'] as const),
  code: s.nullable(s.int),
  reason: s.nullable(s.string),
});

export const evalRun = s.object({
  tape: s.string,
  agent: s.string,
  model: s.string,
  turns: s.nonNegativeInt,
  diverged: s.nullable(s.object({ turn: s.nonNegativeInt, call: s.nonNegativeInt, recorded: s.string, got: s.string })),
  ended,
  prompt_tokens: s.nonNegativeInt,
  output_tokens: s.nonNegativeInt,
  cost_usd: s.nullable(s.number),
  recorded: s.object({
    model: s.string,
    turns: s.nonNegativeInt,
    prompt_tokens: s.nonNegativeInt,
    output_tokens: s.nonNegativeInt,
    cost_usd: s.number,
    ended,
  }),
});

export const TAPE_RESULTS = {
  record: s.object({
    tape: s.string,
    agents: s.array(s.object({ name: s.string, pids: s.array(s.positiveInt), turns: s.nonNegativeInt })),
    turns: s.nonNegativeInt,
  }),
  eval: s.object({ runs: s.array(evalRun) }),
};
