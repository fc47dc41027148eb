/** Results of the proposals' methods (proposal-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

const proposal = s.object({
  id: s.string,
  pid: s.positiveInt,
  name: s.string,
  call: s.string,
  args: s.unknown,
  rule: s.string,
  subject: s.string,
  proposed_at: s.string,
  expires_at: s.string,
  state: s.oneOf(['pending', 'undone', 'final'] as const),
  decided_by: s.nullable(s.string),
  via: s.nullable(s.string),
  reason: s.nullable(s.string),
  decided_at: s.nullable(s.string),
});

export const PROPOSAL_RESULTS = {
  proposals: s.object({ proposals: s.array(proposal) }),
  undo: s.object({
    id: s.string,
    pid: s.positiveInt,
    path: s.string,
    action: s.oneOf(['restored', 'removed'] as const),
  }),
};
