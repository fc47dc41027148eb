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

/** The price-book page pricing looks up on the first two visits (the same page both times). */
export const BUSINESS_PRICEBOOK = {
  path: '/pricebook/business.md',
  text: `# Business tier (price book 2026.2, valid to 31 Dec 2026)
List price: GBP 62 per seat per month, billed annually.
Includes: SAML SSO (Azure AD, Okta, Google), multi-drop optimisation, telematics connectors, 99.9% SLA.
Add-ons: UK data residency GBP 6 per seat per month; premium support GBP 900 per year.
Discounts: annual prepayment 10%; volume 5% from 40 seats, 8% from 100 seats.
Stacked discounts above 12% need sales-lead approval (UK: M. Okafor for North).
Pilots: up to 60 days free for one site, converts to the contract at pilot end.
Quotes: numbered Q-YYYY-NNNN, valid 30 days.`,
};
