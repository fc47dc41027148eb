/**
 * Proposals (issue 52.2): calls a `propose` rule let run at once, undoable until their window
 * passes (kernel/safety/proposals.ts). Their methods and published --json schemas; spread into
 * METHODS, RESULTS and PUBLISHED with one line each.
 */
import { z } from 'zod';
import { PROPOSAL_RESULTS } from './proposal-results.js';

const proposal = z.object({
  id: z.string(),
  pid: z.number().int().positive(),
  name: z.string(),
  call: z.string(),
  args: z.unknown(),
  rule: z.string(),
  subject: z.string().describe('the workspace file the call wrote'),
  proposed_at: z.string(),
  expires_at: z.string().describe('until when it may be undone; final after it'),
  state: z.enum(['pending', 'undone', 'final']),
  decided_by: z.string().nullable().describe('person (undone) or timeout (final); null while pending'),
  via: z.string().nullable().describe('how the undo came: socket, web'),
  reason: z.string().nullable(),
  decided_at: z.string().nullable(),
});

/** The `proposal` event's own fields (protocol/events.ts), beside the common ones in schemas.ts's event union. */
export const PROPOSAL_EVENT_FIELDS = {
  type: z.literal('proposal'),
  id: z.string(),
  call: z.string(),
  rule: z.string(),
  subject: z.string(),
  state: z.enum(['pending', 'undone', 'final']),
  expires_at: z.string(),
  decided_by: z.enum(['person', 'timeout']).optional(),
  via: z.string().optional(),
};

export const PROPOSAL_METHODS = {
  /** Pending proposals, oldest first, then the newest undone or final ones. */
  proposals: { params: z.strictObject({}), result: PROPOSAL_RESULTS.proposals },
  /** Undo a pending proposal inside its window: its file put back; refused, nothing changed, when the file was changed since. Who undid it (`via`) is the connection's. */
  undo: { params: z.strictObject({ id: z.string().min(1).max(64) }), result: PROPOSAL_RESULTS.undo },
} as const;

export const PROPOSAL_VERB_SCHEMAS = {
  proposals: z.array(proposal).describe('aos proposals --json: pending ones oldest first, then the newest settled'),
  undo: z
    .object({
      id: z.string(),
      pid: z.number().int().positive(),
      path: z.string(),
      action: z.enum(['restored', 'removed']).describe('restored: its earlier content; removed: it did not exist'),
    })
    .describe('aos undo --json'),
} as const;
