/**
 * Protocol methods of the policy's human side (issue 12): pending approvals and their answers,
 * the effective policy, the audit trail. Spread into METHODS (protocol.ts) with one line; MCP and
 * the web view call the same methods.
 */
import { z } from 'zod';
import { SAFETY_RESULTS as R } from './safety-results.js';

const id = z.string().min(1).max(64);
/** Others of the request's group, as the person was shown them: decided alike, each audited (a request that joined since is not). */
const also = z.array(id).max(1_000).optional();

export const SAFETY_METHODS = {
  /** Pending approval requests of live processes, oldest first. */
  approvals: { params: z.strictObject({}), result: R.approvals },
  /** Approve a pending request: the parked call runs. Who answered (`via`) is the connection's, never the client's word. */
  approve: { params: z.strictObject({ id, also }), result: R.approve },
  /** Deny a pending request: the call fails with EACCES and the reason. */
  deny: { params: z.strictObject({ id, reason: z.string().max(2000).optional(), also }), result: R.deny },
  /** The effective policy: the root's, or one process's (its capabilities, and which rules apply to it). */
  policy: { params: z.strictObject({ pid: z.number().int().positive().optional() }), result: R.policy },
  /** Audit rows (newest `limit`, in order), of one process with `pid`, from `since` (ISO time). */
  audit: {
    params: z.strictObject({
      pid: z.number().int().positive().optional(),
      since: z.string().max(64).optional(),
      limit: z.number().int().positive().optional(),
    }),
    result: R.audit,
  },
  /** What a process and its subtree changed in the workspace (the rollback journal). */
  diff: { params: z.strictObject({ pid: z.number().int().positive() }), result: R.diff },
  /** Restore the files a process and its subtree changed (from `turn` on); refused whole when a file was changed since by someone else. */
  rollback: {
    params: z.strictObject({ pid: z.number().int().positive(), turn: z.number().int().nonnegative().optional() }),
    result: R.rollback,
  },
  /** Who wrote a workspace file, line by line, from the journal (issue 52.4): a path as agents see it, or the host path inside the workspace; `at` an ISO time for an earlier state. */
  blame: {
    params: z.strictObject({ path: z.string().min(1).max(4096), at: z.string().max(64).optional() }),
    result: R.blame,
  },
  /** Walk the audit hash chain: ok, or the first row that breaks it. */
  audit_verify: { params: z.strictObject({}), result: R.audit_verify },
  /** The signed head of an audit export (issue 52.5) of the rows after `after`: EIO when the trail does not verify. */
  audit_export: {
    params: z.strictObject({ after: z.number().int().nonnegative().optional() }),
    result: R.audit_export,
  },
  /** Audit rows after `after` up to `upto`, in id order, at most `limit`: an export's pages. */
  audit_rows: {
    params: z.strictObject({
      after: z.number().int().nonnegative(),
      upto: z.number().int().nonnegative(),
      limit: z.number().int().positive().optional(),
    }),
    result: R.audit_rows,
  },
} as const;
