/**
 * The limits of cost governance (issue 31), spread into `param` (param.ts): still one object for
 * every limit; its own file because param.ts reached its length. Numbers only, no imports.
 */
export const costParam = {
  /** A model ladder: turns an escalation holds its rung; below this fraction of a budget left, only the cheapest rung. */
  ladderStickTurns: 3,
  ladderLowHeadroom: 0.2,
  /** SYS_ESCALATE a process may make (the policy's models.escalations overrides; 0 refuses it). */
  ladderEscalations: 5,
  /** Past this share of its turn limit a laddered process climbs (it is running out of tries). */
  ladderLateTurns: 0.6,
  /** Budgets over time: the share of a limit at which a `budget` event warns (web badge, `on: {budget: crossed}`). */
  budgetWarnAt: 0.8,
  /**
   * The most tokens a reply may take, thinking included: sent with every model request (OpenAI's
   * max_tokens / max_completion_tokens, Gemini's maxOutputTokens), so that a budget can reserve it.
   * Without it a provider's own default applies (the model's maximum: 16k to 100k tokens).
   */
  modelMaxOutputTokens: 8_192,
  /**
   * A budget reserves a request's prompt at the context estimate (characters / 4) times what the
   * model's provider reported against that estimate before, kept within these bounds.
   */
  budgetPromptScaleMin: 0.5,
  budgetPromptScaleMax: 4,
  /** Prompts smaller than this (estimated tokens) teach the scale nothing: a message's fixed overhead would dominate. */
  budgetPromptScaleFrom: 256,
  /** How long an idempotency key answers as the first time (the policy's work.idempotency_ttl overrides). */
  idempotencyTtlMs: 24 * 3_600_000,
  /** A process paused on a budget checks again this often (besides being woken when its window rolls or the budget is raised). */
  budgetRecheckMs: 3_600_000,
};
