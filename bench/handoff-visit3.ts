/** The handoff benchmark's visit 3 to Acme Freight Ltd (an outage and its service credit): what each agent looks up and the notes it hands on (bench/handoff-notes.ts). */
import { endMarker as end, type Step, type StepText } from './handoff-steps.js';

export const visit3: Record<Step, StepText> = {
  intake: {
    source: {
      path: '/inbox/2026-10-14-acme-freight.eml',
      text: `From: Raj Patel <raj.patel@acmefreight.example>
To: mia.okafor@routewise.example
Cc: dana.whitfield@acmefreight.example
Date: Wed, 14 Oct 2026 08:02:47 +0100
Subject: Outage on 12 October and service credits

Mia,

On Monday 12 October our dispatchers could not plan routes from about 06:10 until 10:45. That is
our busiest window; Glasgow and Leeds went back to spreadsheets for the morning and we paid
overtime. Our contract says 99.9% availability. Please confirm what service credit applies and
how it will be reflected on our account.

Separately, we are planning next year's budget now: can you tell me what renewal will look like
for around 70 seats?

Raj Patel, CFO, Acme Freight Ltd`,
    },
    lookup: 'A new email from the client: reading it first.',
    kind: 'note',
    notes: `Inbound from Raj Patel (CFO, Acme Freight, CUST-0193), 14 Oct 2026, cc Dana Whitfield, email /inbox/2026-10-14-acme-freight.eml:
1. Outage complaint: no route planning on Mon 12 Oct 2026 from ~06:10 to 10:45 (their peak window); Leeds and Glasgow fell back to spreadsheets and paid overtime.
2. Asks which service credit applies under the 99.9% SLA and how it will show on their account.
3. Renewal question for budgeting: price for ~70 seats at renewal (current 58, term ends 31 Aug 2027).
Tone: formal, the CFO is involved directly; reply within one business day. Incident id unknown to them; ours is likely INC-2291 (ops channel, 12 Oct).
${end('intake', 3)}`,
  },
  research: {
    source: {
      path: '/ops/incidents/INC-2291.md',
      text: `# INC-2291: route optimiser unavailable, UK region
Start 2026-10-12 06:07 BST, mitigated 10:41, resolved 10:52 (outage 4 h 34 min for planning; tracking unaffected)
Cause: a certificate rotation on the UK region's optimiser cluster failed; the fallback pool did not take
traffic because its health check used the expired certificate too.
Customers affected: 23 in the UK region, including Acme Freight (CUST-0193), Harlow Logistics, Penrose Foods.
Fix: certificates rotated with a staged rollout; health check now independent of the serving certificate.
Status page: posted 06:31, updated every 30 min. RCA published 2026-10-13 (customer-facing RCA-2291).`,
    },
    lookup: 'Looking up the incident the intake notes name.',
    kind: 'note',
    notes: `Research on the 12 Oct outage for Acme Freight (CUST-0193), from /ops/incidents/INC-2291.md:
- Our incident INC-2291: route optimiser down in the UK region (where Acme's data lives, UK residency add-on) from 06:07 to 10:41 BST on 12 Oct 2026, resolved 10:52; 4 h 34 min without route planning. Tracking kept working.
- Cause: a failed certificate rotation on the UK optimiser cluster; the fallback pool's health check used the same expired certificate, so failover did not happen. Fixed with a staged rollout and an independent health check.
- 23 UK customers affected (also Harlow Logistics, Penrose Foods); status page updates every 30 min from 06:31; customer-facing root cause analysis RCA-2291 published 13 Oct.
- SLA arithmetic: October has 744 hours; 99.9% allows 44.6 minutes of downtime. 274 minutes down means availability 99.386% for October, below 99.9% and below 99.5%, so the second SLA band applies (see /pricebook/sla-credits.md).
- Account context: 58 seats since 1 Sep 2026, INV-2026-1140 (GBP 48,558.53 gross) paid on 28 Sep, on time. Glasgow went live 7 Aug. Raj asked for renewal at ~70 seats: that is a volume change within the 40-99 tier, so the discount stays 5%.
For pricing: compute the October service credit on the monthly fee of GBP 3,372.12 and the renewal figure for 70 seats under the +5% renewal cap in the order form.
${end('research', 3)}`,
  },
  pricing: {
    source: {
      path: '/pricebook/sla-credits.md',
      text: `# Service credits (order form schedule 2, Business and Enterprise)
Monthly availability below 99.9%: credit 10% of that month's fee.
Below 99.5%: credit 25% of that month's fee.
Below 99.0%: credit 50% of that month's fee.
Credits are applied to the next invoice, or paid out as a credit note if no invoice is due within 90 days.
The customer must claim within 30 days of the incident. Credits are the sole remedy for availability.
Monthly fee = annual net fee / 12.`,
    },
    lookup: 'Opening the service-credit schedule.',
    kind: 'decision',
    notes: `Pricing decisions, visit 3, Acme Freight CUST-0193 (schedule /pricebook/sla-credits.md):
Service credit for the 12 Oct outage (INC-2291):
- October availability 99.386%: below 99.5% but not below 99.0%, so 25% of October's fee.
- Monthly fee = GBP 40,465.44 / 12 = GBP 3,372.12. Credit = 25% = GBP 843.03 (+ VAT GBP 168.61, GBP 1,011.64 gross).
- Claimed by Raj Patel on 14 Oct, within the 30-day window. No invoice is due within 90 days (next one is the renewal, 1 Sep 2027), so it is paid out as a credit note, not set against an invoice.
- Goodwill: M. Okafor approved an extra GBP 400 goodwill credit (ref APR-3502) for the overtime they reported, on the same credit note; stated as goodwill, not an SLA admission beyond schedule 2.
Renewal for ~70 seats (term 1 Sep 2027 to 31 Aug 2028):
- Price-book 2027 is not out; the order form caps renewal at +5% on the current per-seat price.
- Worst case per seat: GBP 58.14 x 1.05 = GBP 61.05 per seat per month. 70 seats x 61.05 x 12 = GBP 51,282.00 a year.
- If the 2027 price book keeps the 2026 rates: 70 x 68 x 12 = 57,120 x 0.855 = GBP 48,837.60.
- Budget guidance for Raj: GBP 48.8k to 51.3k for 70 seats; a firm quote once the 2027 price book is out (expected Dec 2026).
- 12 more seats mid-term (if they grow before renewal): co-termed to 31 Aug 2027 at GBP 58.14 per seat per month, pro rata.
${end('pricing', 3)}`,
  },
  billing: {
    source: {
      path: '/ledger/CUST-0193.csv',
      text: `date,doc,type,po,net_gbp,vat_gbp,gross_gbp,status
2026-06-04,BL-0193-01,bank-details-letter,,,,,sent
2026-07-02,PF-2026-0231,pro-forma,4500-7718,32093.28,6418.66,38511.94,void (PO error)
2026-07-29,PF-2026-0287,pro-forma,4500-7781,40465.44,8093.09,48558.53,superseded by INV-2026-1140
2026-09-01,INV-2026-1140,invoice,4500-7781,40465.44,8093.09,48558.53,paid 2026-09-28
2026-07-29,RS-0193-2,revenue-schedule,,3372.12,,,active 2026-09..2027-08`,
    },
    lookup: 'Opening the CUST-0193 ledger to book the credit note.',
    kind: 'result',
    notes: `Billing, visit 3, Acme Freight CUST-0193 (ledger /ledger/CUST-0193.csv):
- Credit note CN-2026-0077 raised 15 Oct 2026 against INV-2026-1140 (paid 28 Sep): line 1 SLA service credit, INC-2291, October 2026, 25% of GBP 3,372.12 = GBP 843.03; line 2 goodwill credit (APR-3502) GBP 400.00. Net GBP 1,243.03 + VAT 20% GBP 248.61 = GBP 1,491.64 gross.
- Reference on the credit note: PO 4500-7781 (their AP matches credits to the PO, per Helen Marsh).
- Payment: refunded by BACS to the account on file on 16 Oct 2026 (no invoice due within 90 days, per schedule 2). Remittance advice emailed to ap@acmefreight.example and Helen Marsh.
- Revenue: the credit reduces October revenue on RS-0193-2 by GBP 1,243.03 (October recognised GBP 2,129.09 instead of GBP 3,372.12); the schedule otherwise unchanged.
- Account health: no overdue items; INV-2026-1140 paid 3 days early; credit limit unaffected.
- For the renewal on 1 Sep 2027: invoice INV-2027-xxxx will need a new PO from Acme (PO 4500-7781 covers this term only); added a ledger reminder for 1 Jul 2027 to ask Helen Marsh for it.
Open items: (1) Raj Patel to confirm receipt of CN-2026-0077; (2) renewal PO reminder 1 Jul 2027; (3) if they add seats mid-term, a co-term invoice on the same PO needs an amended PO value.
${end('billing', 3)}`,
  },
  followup: {
    source: {
      path: '/calendar/week-42.txt',
      text: `Week 42 (12-18 Oct 2026), UK North team calendar
Wed 14 16:00 free (Mia Okafor)
Thu 15 09:00-10:00 free (Mia); 11:00 SRE: RCA-2291 customer briefings (Harlow Logistics booked)
Fri 16 10:00 free (Mia and Priya Shah); 14:00 quarterly business reviews planning
Next week: Tue 20 Oct 09:30 free (Mia, Priya, SRE lead Oliver Grant)`,
    },
    lookup: 'Checking the calendar for the CFO call and the RCA briefing.',
    kind: 'note',
    notes: `Follow-up plan, visit 3 (outage, credit, renewal budget), Acme Freight CUST-0193. State: live since 1 Sep 2026, 58 seats (Leeds, Bristol, Glasgow), GBP 40,465.44/yr; INV-2026-1140 paid 28 Sep; outage INC-2291 on 12 Oct (4 h 34 min, UK region) took October availability to 99.386%.
Done today (15 Oct 2026):
- Reply to Raj Patel (cc Dana Whitfield) within the one business day he expects: apology; what happened (certificate rotation, failed failover, fixed with an independent health check); the customer RCA-2291 attached; service credit 25% of October's fee (GBP 843.03) plus GBP 400 goodwill (APR-3502) on credit note CN-2026-0077, GBP 1,491.64 gross refunded by BACS on 16 Oct.
- Renewal guidance for his budget: GBP 48.8k to 51.3k a year for 70 seats (1 Sep 2027 to 31 Aug 2028), capped at +5% per seat by the order form; a firm quote once the 2027 price book is out (Dec 2026).
- Call offered to Raj and Dana on Fri 16 Oct 10:00 with Mia Okafor and Priya Shah; RCA briefing with SRE lead Oliver Grant offered for Tue 20 Oct 09:30 (Harlow Logistics had one on 15 Oct).
- Internal: flagged Acme as an at-risk account for the quarterly business review planning (Fri 16 Oct 14:00): CFO directly involved, outage in their peak window, renewal in 10 months, growth to ~70 seats on the table.
Open items and owners:
1. Raj to confirm the credit note CN-2026-0077 arrived. Owner: billing.
2. Call 16 Oct and RCA briefing 20 Oct. Owner: Mia (with Priya, Oliver Grant).
3. Firm renewal quote for ~70 seats after the 2027 price book (Dec 2026). Owner: pricing, then Mia. Renewal PO reminder 1 Jul 2027 (billing).
4. Ask Dana whether Bristol also had overtime costs (only Leeds and Glasgow were named). Owner: Mia.
5. Offer an optional status-page subscription and the SRE contact for their IT (Tom Byrne) so they hear about incidents first.
Risks: confidence after the outage at the CFO level; a competitor approach before renewal (RouteMax lost them before, others may try); the +5% cap limits our price increase, and 2027 list prices may rise more.
Next visit: QBR in Nov 2026 and the renewal quote in Dec 2026.
${end('followup', 3)}`,
  },
};
