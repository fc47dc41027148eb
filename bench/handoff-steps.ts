/**
 * The text of the handoff benchmark (bench/handoff.ts): one client, Acme Freight Ltd, handled by
 * the same five agents on three visits (onboarding in June, pilot conversion in July, an outage
 * and SLA credit in October). For each visit and step: the workspace file the step looks up (an
 * email, a CRM record, a price-book page, a ledger, a calendar) and the handoff notes the agent
 * writes. The notes are what real handoff notes hold — names, ids, amounts, dates, decisions, open
 * items — and grow along the chain (intake ~0.6k characters, follow-up ~2k). Both variants of the
 * benchmark use exactly this text; only how it reaches the next agent differs.
 */

export const STEPS = ['intake', 'research', 'pricing', 'billing', 'followup'] as const;
export type Step = (typeof STEPS)[number];

export interface StepText {
  /** The workspace file the step looks up (its path is in the earlier notes, or for intake in the task). */
  source: { path: string; text: string };
  /** What the agent says before its lookup (the same in both variants). */
  lookup: string;
  /** Its handoff notes; the last line is the end marker the benchmark checks the next agents received. */
  notes: string;
  kind: 'note' | 'decision' | 'result';
}

/** The line each agent's notes end with: what the next agent's tape expects to have been shown. */
export const endMarker = (step: Step, visit: number): string => `(end of ${step} notes, visit ${visit})`;
