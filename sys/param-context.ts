/**
 * The limits of what a model is sent (kernel/context, kernel/loop/compaction.ts), spread into
 * `param` (param.ts): still one object for every limit. Numbers only, no imports.
 */
export const contextParam = {
  /**
   * Bounded context, in estimated tokens (characters / contextCharsPerToken) of everything sent:
   * system prompt, summary and transcript. A process's budget is min(its model's context window ×
   * contextWindowShare, contextBudgetTokens); a spawn's contextTokens replaces the second term.
   * The default stays small on purpose: a 1M-token window must not mean 1M-token (and ~$0.30) turns.
   */
  contextBudgetTokens: 32_000,
  /** Of a known context window, the most a prompt may fill: the rest is the reply's and the estimate's error margin. */
  contextWindowShare: 0.6,
  /** Budgets below this are refused: the system prompt alone is ~1.5k tokens. */
  minContextTokens: 4_000,
  contextCharsPerToken: 4,
  /**
   * A role (in the seed's dialect, a child's whole prompt) may fill this share of its process's
   * context budget, and never more than maxRoleChars; one of at most maxShortRoleChars on one line
   * is a label shown whole, a longer one lends its first line (cut to maxRoleLabelChars).
   */
  roleContextShare: 0.25,
  maxRoleChars: 64 * 1024,
  maxShortRoleChars: 200,
  maxRoleLabelChars: 64,
  contextWarnAt: 0.75,
  contextCompactAt: 0.9,
  /** Compaction keeps the newest messages verbatim within this share of the budget (at least the latest reply and its results). */
  compactKeepShare: 0.4,
  /** The summary is at most this share of the budget, and at most compactSummaryChars. */
  compactSummaryShare: 0.1,
  compactSummaryChars: 4_000,
  /** A reply of only malformed or unknown calls and its errors leave the requests once a later call succeeds (kernel/context/context-budget.ts). */
  leaveOutCorrected: true,
  /**
   * One kernel message (the results of one reply) is shown within this share of the budget, each of
   * its n results within 1/n of it: the kept window then holds at least ~3 turns, and compaction
   * (a model call) comes at most every ~3 turns even when every result is huge.
   */
  contextMessageShare: 0.125,
  /** A result's excerpt is never longer than this, whatever the budget, nor (for 32 calls in a reply) shorter than the minimum. */
  maxResultChars: 64 * 1024,
  minResultChars: 512,
  /** SYS_RESULT_READ: the largest page of a stored result. */
  resultReadMaxChars: 64 * 1024,
};
