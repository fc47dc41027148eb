/**
 * Protocol methods of a candidate policy tried before it is put in force (issue 52.3):
 * `policy_try` replays the calls of recorded runs (processes, or replay tapes) through it without
 * running them and answers what it would do differently; `policy_apply` puts a checked one in
 * force. Spread into METHODS (protocol.ts) with one line; `aos policy check --against`,
 * `aos policy apply` and the web view's policy page call them.
 */
import { z } from 'zod';
import { param } from '../sys/param.js';
import { POLICY_TRY_RESULTS as R } from './policy-try-results.js';

/** The candidate's text: a policy file is small (the request line caps it anyway). */
const text = z
  .string()
  .min(1)
  .max(1024 * 1024);
const file = z.string().min(1).max(4096).optional();

export const POLICY_TRY_METHODS = {
  /**
   * The candidate (`text`; `file` names it in messages and resolves its relative paths) tried on
   * the calls of processes `pids` (each with its descendants), of every process started since
   * `since` (ISO time), and of replay tapes (host paths, relative ones against `cwd`; what happened
   * is then the policy in force's decision). EINVAL, naming the line, when the candidate is not a
   * valid policy; a valid one is remembered as checked (by its sha256) for `policy_apply`.
   */
  policy_try: {
    params: z.strictObject({
      text,
      file,
      pids: z.array(z.number().int().positive()).max(1_000).optional(),
      since: z.string().min(1).max(64).optional(),
      tapes: z.array(z.string().min(1).max(4096)).max(param.policyTryMaxTapes).optional(),
      cwd: z.string().max(4096).optional(),
    }),
    result: R.policy_try,
  },
  /**
   * Put the candidate in force: refused unless this kernel checked exactly this text with
   * `policy_try` (`force` skips that); validated again as the policy file, written to it atomically,
   * and answered once the kernel has reloaded it (or why it did not).
   */
  policy_apply: {
    params: z.strictObject({ text, file, force: z.boolean().optional() }),
    result: R.policy_apply,
  },
} as const;

const decision = z.object({
  verdict: z
    .string()
    .describe(
      'allow, ask, deny; refused (before any rule), unknown (only the exec gate can tell), taint; or a newer effect',
    ),
  rule: z.string().nullable().describe('the rule that decided, as written; null when none did'),
  note: z.string().optional(),
  answer: z.string().optional().describe("an approval's answer: approved, denied, expired, …"),
});
const counts = z
  .record(z.string(), z.number().int().nonnegative())
  .describe('calls per "same", "taint", "unknown" and each "before→after"');

/** The --json of `aos policy check --against` and `aos policy apply`, published by `aos schema`. */
export const POLICY_TRY_VERB_SCHEMAS = {
  'policy-try': z
    .object({
      ok: z.literal(true),
      file: z.string(),
      sha256: z.string().describe('of the text tried: what `aos policy apply` checks'),
      runs: z.array(z.object({ source: z.string(), calls: z.number().int().nonnegative() })),
      calls: z.number().int().nonnegative(),
      counts,
      rows: z
        .array(
          z.object({
            pid: z.number().int().positive().nullable(),
            agent: z.string().optional().describe("a tape's call: the tape and its agent"),
            turn: z.number().int().nonnegative(),
            seq: z.number().int().nonnegative(),
            call: z.string(),
            shown: z.string().describe('the call as aos approvals shows it, secrets as {{secret:NAME}}'),
            before: decision,
            after: decision,
          }),
        )
        .describe('the calls decided differently'),
      notes: z.array(z.string()),
    })
    .describe('aos policy check FILE --against … --json'),
  'policy-apply': z
    .object({
      file: z.string().describe('the policy file it was written to'),
      sha256: z.string(),
      counts: counts.nullable().describe('of the check it was applied after; null with --force'),
      changed: z.boolean(),
      reloaded: z.boolean(),
      loaded_at: z.string(),
      error: z.string().nullable().describe('why it is not in force, or null'),
    })
    .describe('aos policy apply --json'),
};
