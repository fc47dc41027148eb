/** The result of `fork` (fork-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

export const FORK_RESULTS = {
  fork: s.object({
    pid: s.positiveInt,
    from: s.positiveInt,
    turn: s.nonNegativeInt,
    model: s.string,
    files: s.array(s.object({ path: s.string, action: s.oneOf(['restored', 'removed'] as const) })),
  }),
};
