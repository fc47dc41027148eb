/** Result shapes of `policy_try` and `policy_apply` (policy-try-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

/** What a policy did or would do with a call: allow, ask, deny, refused (before any rule), unknown, taint, or a newer effect. */
const decision = s.object({
  verdict: s.string,
  rule: s.nullable(s.string),
  note: s.optional(s.string),
  answer: s.optional(s.string),
});

/** Calls counted per `same`, `taint`, `unknown` and each `before→after`. */
const counts = s.leaf<Record<string, number>>(
  'an object of counts',
  (v) => s.isRecord(v) && Object.values(v).every((n) => Number.isSafeInteger(n) && (n as number) >= 0),
);

export const triedRow = s.object({
  pid: s.nullable(s.positiveInt),
  /** A tape's call: the tape and its agent. */
  agent: s.optional(s.string),
  turn: s.nonNegativeInt,
  seq: s.nonNegativeInt,
  call: s.string,
  /** The call as `aos approvals` shows it, secrets' values masked. */
  shown: s.string,
  before: decision,
  after: decision,
});

export const POLICY_TRY_RESULTS = {
  policy_try: s.object({
    file: s.string,
    sha256: s.string,
    /** What was tried: each process or tape, and its calls. */
    runs: s.array(s.object({ source: s.string, calls: s.nonNegativeInt })),
    calls: s.nonNegativeInt,
    counts,
    /** The calls whose outcome differs, at most param.policyTryMaxRows (all are counted). */
    rows: s.array(triedRow),
    notes: s.array(s.string),
  }),
  policy_apply: s.object({
    file: s.string,
    sha256: s.string,
    /** The counts of the check it was applied after (null: applied with force, unchecked). */
    counts: s.nullable(counts),
    changed: s.boolean,
    reloaded: s.boolean,
    loaded_at: s.string,
    /** Why the kernel did not put it in force, or null. */
    error: s.nullable(s.string),
  }),
};
