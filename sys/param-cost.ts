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
  /** A request's output is estimated at this many tokens before any turn of the process has one to go by. */
  budgetFirstOutputEstimate: 1_024,
  /** How long an idempotency key answers as the first time (the policy's work.idempotency_ttl overrides). */
  idempotencyTtlMs: 24 * 3_600_000,
  /** A process paused on a budget checks again this often (besides being woken when its window rolls or the budget is raised). */
  budgetRecheckMs: 3_600_000,
};
