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

const end = (step: Step, visit: number): string => `(end of ${step} notes, visit ${visit})`;

const visit1: Record<Step, StepText> = {
  intake: {
    source: {
      path: '/inbox/2026-06-02-acme-freight.eml',
      text: `From: Dana Whitfield <dana.whitfield@acmefreight.example>
To: sales@routewise.example
Date: Tue, 2 Jun 2026 09:14:22 +0100
Subject: Route planning for our dispatch team

Hi,

We run three depots (Leeds, Bristol, Glasgow) with about 40 dispatchers who still plan routes in
spreadsheets. We'd like to trial RouteWise, ideally with a pilot live before 1 September when our
peak season starts. Two must-haves from IT: single sign-on with our Azure AD, and customer data
kept in the UK. Finance has pencilled in roughly 30k a year for this.

Could someone call me this week? Mornings are best. Our lead inquiry number from your web form
was L-5521.

Thanks,
Dana Whitfield
Operations Director, Acme Freight Ltd
+44 113 496 0123`,
    },
    lookup: 'A new inbound email for this client: reading it first.',
    kind: 'note',
    notes: `New inbound lead from Acme Freight Ltd (web form lead L-5521, CRM lead file /crm/leads/L-5521.md).
Contact: Dana Whitfield, Operations Director, dana.whitfield@acmefreight.example, +44 113 496 0123, prefers morning calls.
Need: route planning for ~40 dispatchers across 3 depots (Leeds, Bristol, Glasgow), today on spreadsheets.
Must-haves from their IT: SSO with Azure AD; customer data hosted in the UK.
Timeline: pilot live before 1 Sep 2026 (their peak season starts then).
Budget signal: "roughly 30k a year" (GBP, from finance).
Next: research to check the lead file, company size, decision maker and fit for SSO + UK residency.
${end('intake', 1)}`,
  },
  research: {
    source: {
      path: '/crm/leads/L-5521.md',
      text: `# Lead L-5521 — Acme Freight Ltd
Created: 2026-06-01 via web form "Talk to sales"
Company: Acme Freight Ltd, Companies House 08812345, registered office Leeds LS11 5QR
Employees: ~320 (LinkedIn), fleet ~210 vehicles, revenue GBP 48m (FY2025 accounts)
Previous contact: met at Multimodal 2024 (badge scan, no follow-up)
Tech: Microsoft 365 / Azure AD tenant acmefreight.onmicrosoft.com; Samsara telematics
Competitors seen: RouteMax trial in Q1 2026, not renewed (per Dana on the form: "too rigid for multi-drop")
Credit: D&B rating 3A2, no CCJs, pays suppliers in 34 days on average
People: Dana Whitfield (Ops Director, champion), Raj Patel (CFO, signs contracts over GBP 25k), Tom Byrne (IT manager)
Territory: UK North, account executive Mia Okafor`,
    },
    lookup: 'Looking up the lead file the intake notes point to.',
    kind: 'note',
    notes: `Research on Acme Freight Ltd (lead L-5521), from /crm/leads/L-5521.md:
- Company: Companies House 08812345, Leeds LS11 5QR; ~320 staff, ~210 vehicles, revenue GBP 48m (FY2025).
- Decision makers: Dana Whitfield (Ops Director) is the champion; Raj Patel (CFO) signs anything over GBP 25k, so he will sign this; Tom Byrne (IT manager) owns the SSO work.
- Fit: Azure AD tenant acmefreight.onmicrosoft.com, so SSO is SAML via Azure AD, which needs the Business tier or above. UK data residency is an add-on on Business and included in Enterprise.
- Telematics: Samsara, which we integrate with out of the box (a selling point for multi-drop).
- Competition: they trialled RouteMax in Q1 2026 and did not renew ("too rigid for multi-drop"); expect questions on multi-drop and re-planning during the day.
- Credit: D&B 3A2, no CCJs, pays in ~34 days; fine for net 30 terms, no prepayment needed.
- Territory UK North, account executive Mia Okafor; first contact was a badge scan at Multimodal 2024, never followed up.
Recommendation for pricing: Business tier with the UK residency add-on (price-book page /pricebook/business.md); seats = 40 dispatchers plus depot managers (Dana mentioned 2 per depot on the phone screen, so 6).
${end('research', 1)}`,
  },
  pricing: {
    source: {
      path: '/pricebook/business.md',
      text: `# Business tier (price book 2026.2, valid to 31 Dec 2026)
List price: GBP 62 per seat per month, billed annually.
Includes: SAML SSO (Azure AD, Okta, Google), multi-drop optimisation, telematics connectors, 99.9% SLA.
Add-ons: UK data residency GBP 6 per seat per month; premium support GBP 900 per year.
Discounts: annual prepayment 10%; volume 5% from 40 seats, 8% from 100 seats.
Stacked discounts above 12% need sales-lead approval (UK: M. Okafor for North).
Pilots: up to 60 days free for one site, converts to the contract at pilot end.
Quotes: numbered Q-YYYY-NNNN, valid 30 days.`,
    },
    lookup: 'Opening the price-book page research recommends.',
    kind: 'decision',
    notes: `Pricing decision for Acme Freight Ltd (Business tier + UK residency, price book 2026.2):
- Seats: 46 (40 dispatchers + 6 depot managers, per research).
- Per seat: GBP 62 list + GBP 6 UK residency = GBP 68 per seat per month.
- Annual list: 46 x 68 x 12 = GBP 37,536.
- Discounts: 10% annual prepayment and 5% volume (46 seats, threshold 40) stack to 14.5% (0.90 x 0.95 = 0.855), above the 12% limit, so I asked the sales lead: approved by M. Okafor on 3 Jun 2026, approval ref APR-3381.
- Net annual price: 37,536 x 0.855 = GBP 32,093.28, i.e. GBP 58.14 per seat per month.
- That is about 7% over their ~30k budget signal. Fallback if the CFO pushes back: drop premium support (not included anyway) or start at 42 seats and add the Glasgow managers at renewal; do not go below GBP 56 per seat without a new approval.
- Pilot: 60 days free for the Leeds depot only (16 dispatchers), starting no later than 1 Jul so it ends before 1 Sep; converts to the contract at pilot end unless cancelled in writing.
- Quote Q-2026-0412 issued 3 Jun 2026, valid to 3 Jul 2026, sent to Dana, cc Raj Patel.
Billing should set up the account on annual prepayment in advance, invoiced at pilot conversion, net 30.
${end('pricing', 1)}`,
  },
  billing: {
    source: {
      path: '/finance/new-account-checklist.md',
      text: `# New customer account checklist (finance ops)
1. Create the customer in the ledger: id CUST-NNNN, legal entity, VAT number, billing address.
2. Payment terms: net 30 by default; net 45 needs the finance controller; prepayment if D&B below 2A3.
3. Ask whether the customer needs a purchase order on invoices; record the PO number and its value.
4. Annual in advance: invoice on the contract start date; pilots invoice at conversion, pro rata to the
   next anniversary if the pilot ends mid-month.
5. Payment method: BACS or Direct Debit (mandate via GoCardless). Cards only under GBP 5k.
6. Dunning: reminder at +7 days, call at +21, hold at +45 (account executive told first).
7. Revenue schedule: annual contracts recognised monthly.`,
    },
    lookup: 'Going through the finance new-account checklist for the terms pricing set.',
    kind: 'result',
    notes: `Billing set-up for Acme Freight Ltd, done against /finance/new-account-checklist.md:
- Ledger customer created: CUST-0193, legal entity Acme Freight Ltd, Companies House 08812345, VAT GB 284 5517 09, billing address Unit 4 Stourton Link, Leeds LS10 1RS; accounts payable contact ap@acmefreight.example.
- Terms: net 30 (D&B 3A2 is above the 2A3 prepayment line, so no prepayment needed).
- Purchase orders: they require a PO on every invoice. Raj Patel's office will raise PO 4500-7781 for GBP 32,093.28 once the quote is signed; invoices without the PO number will be rejected by their AP, so the invoice template for CUST-0193 carries a mandatory PO field.
- Invoicing: annual in advance at pilot conversion. If the Leeds pilot starts 1 Jul it converts 30 Aug; the first invoice is then for 30 Aug 2026 to 29 Aug 2027, GBP 32,093.28 + VAT 20% (GBP 6,418.66) = GBP 38,511.94, due 29 Sep 2026.
- Payment method: BACS requested (no Direct Debit, their policy). Bank details letter sent to AP on 4 Jun 2026.
- Revenue schedule: GBP 2,674.44 a month from Sep 2026, set up in the ledger as schedule RS-0193-1.
- Dunning: standard (reminder +7, call +21, hold +45); account executive Mia Okafor is first contact for any hold.
Open items: (1) quote Q-2026-0412 not signed yet; (2) PO 4500-7781 not received yet; (3) confirm the pilot start date, which moves the invoice date.
${end('billing', 1)}`,
  },
  followup: {
    source: {
      path: '/calendar/week-23.txt',
      text: `Week 23 (1-7 Jun 2026), UK North team calendar
Mon 1  10:00 pipeline review (all)
Tue 2  14:00 Mia Okafor: demo, Harlow Logistics
Wed 3  09:30 free; 11:00 Mia: pricing approvals; 15:00 solutions: Samsara integration office hours
Thu 4  09:00-10:00 free (Mia); 09:00 Priya Shah (solutions engineer) free until 12:00
Fri 5  09:00 Mia: quarterly forecast; 13:00 free
Next week: Tue 9 Jun 10:00 free for Mia and Priya; Wed 10 Jun IT onboarding slots 14:00 and 16:00`,
    },
    lookup: 'Checking the team calendar for slots with Dana and IT.',
    kind: 'note',
    notes: `Follow-up plan for Acme Freight Ltd (visit 1, onboarding). State: quote Q-2026-0412 at GBP 32,093.28/yr sent; billing account CUST-0193 ready; nothing signed yet.
Done today (4 Jun 2026):
- Call with Dana Whitfield booked Thu 4 Jun 09:00 (her preferred mornings) with Mia Okafor (AE) and Priya Shah (solutions engineer): walk through the quote, the Leeds pilot and multi-drop re-planning (RouteMax's weak point, per research).
- Email sent to Dana with the quote summary, the pilot terms (60 days free, Leeds, 16 dispatchers, converts 30 Aug if started 1 Jul) and the SSO/UK residency answers: SAML via their Azure AD tenant acmefreight.onmicrosoft.com, data in our London region.
- IT onboarding session offered to Tom Byrne (IT manager) on Wed 10 Jun at 14:00 or 16:00 for the SSO set-up.
- CFO: Raj Patel must sign (over GBP 25k). Mia will send him a one-page business case by Fri 5 Jun: his ~30k budget vs our GBP 32,093.28, with the fallback of 42 seats at the same per-seat price (GBP 29,302.56) if needed; no new discount without approval.
Open items and owners:
1. Quote signature (Raj Patel), expires 3 Jul. Owner: Mia. Chase on Mon 15 Jun if unsigned.
2. PO 4500-7781 from Acme AP. Owner: billing. Needed before the first invoice (30 Aug).
3. Pilot start date: must be 1 Jul at the latest. Owner: Priya, confirm in the 4 Jun call.
4. SSO set-up with Tom Byrne. Owner: Priya, 10 Jun session.
5. Samsara connector: Acme's Samsara admin is unknown, ask Dana.
Risks: budget gap of ~GBP 2.1k (7%); peak season deadline 1 Sep; RouteMax experience may make them wary of long contracts, so be ready to explain the pilot cancellation right.
Next visit: after the pilot (expected early Jul to Aug): convert, invoice, check usage.
${end('followup', 1)}`,
  },
};

const visit2: Record<Step, StepText> = {
  intake: {
    source: {
      path: '/inbox/2026-07-28-acme-freight.eml',
      text: `From: Dana Whitfield <dana.whitfield@acmefreight.example>
To: mia.okafor@routewise.example
Cc: ap@acmefreight.example
Date: Tue, 28 Jul 2026 16:40:05 +0100
Subject: Pilot, Glasgow, and an invoice question

Hi Mia,

The Leeds pilot has gone well and we'd like to go ahead. Glasgow also wants in from day one, so
please add 12 more dispatcher seats for them.

One thing from our AP team: the pro-forma you sent references PO 4500-7718, but our PO is
4500-7781. Can you correct it before the real invoice goes out? They won't pay against the wrong number.

Also, can we move the contract start to 1 September to line up with our financial quarter?

Thanks,
Dana`,
    },
    lookup: 'A new email from the client: reading it first.',
    kind: 'note',
    notes: `Inbound from Dana Whitfield (Acme Freight, CUST-0193), 28 Jul 2026, email /inbox/2026-07-28-acme-freight.eml:
1. Leeds pilot went well: they want to convert to the contract.
2. Add 12 dispatcher seats for the Glasgow depot from day one (46 -> 58 seats).
3. AP says the pro-forma quotes PO 4500-7718, but their PO is 4500-7781 (digits swapped). Must be fixed before the real invoice, or AP will not pay.
4. Asks to move the contract start to 1 Sep 2026 (their financial quarter) instead of pilot conversion on 30 Aug.
Next: research should pull the pilot usage to back the expansion, then pricing for 58 seats and the new start date.
${end('intake', 2)}`,
  },
  research: {
    source: {
      path: '/analytics/acme-freight-pilot-usage.csv',
      text: `week,depot,active_dispatchers,routes_planned,replans_same_day,avg_stops_per_route,minutes_planning_per_route
2026-W27,Leeds,14,612,88,17.2,6.1
2026-W28,Leeds,16,701,104,17.9,4.8
2026-W29,Leeds,16,744,97,18.3,4.2
2026-W30,Leeds,16,768,91,18.1,3.9
2026-W31,Leeds,16,790,86,18.6,3.7
baseline_spreadsheet,Leeds,16,,,,14.5`,
    },
    lookup: 'Pulling the pilot usage data for the Leeds depot.',
    kind: 'note',
    notes: `Pilot evidence for Acme Freight (Leeds, weeks 27-31), from /analytics/acme-freight-pilot-usage.csv:
- Adoption: 16 of 16 dispatchers active from week 28 (14 in week 27).
- Volume: 612 -> 790 routes planned per week; average 18 stops per route (multi-drop, as expected).
- Planning time per route: 14.5 min on spreadsheets (their baseline) -> 3.7 min by week 31, a 74% cut. At ~790 routes a week that is ~142 dispatcher-hours saved per week at Leeds alone.
- Same-day re-plans: ~90 a week handled in the tool (RouteMax could not do this, per research in visit 1).
- No support tickets above P3 during the pilot; SSO live since 10 Jun (Tom Byrne set it up with Priya Shah).
Fit for expansion: Glasgow has 12 dispatchers and similar multi-drop work; the evidence supports the 12 extra seats. Seats after expansion: 58 (52 dispatchers + 6 depot managers).
For pricing: contract start moves to 1 Sep 2026 per Dana; pricing approval APR-3381 was for 46 seats, so 58 seats needs a check against the volume tiers on /pricebook/business.md and a new approval if the stack changes.
${end('research', 2)}`,
  },
  pricing: {
    source: {
      path: '/pricebook/business.md',
      text: `# Business tier (price book 2026.2, valid to 31 Dec 2026)
List price: GBP 62 per seat per month, billed annually.
Includes: SAML SSO (Azure AD, Okta, Google), multi-drop optimisation, telematics connectors, 99.9% SLA.
Add-ons: UK data residency GBP 6 per seat per month; premium support GBP 900 per year.
Discounts: annual prepayment 10%; volume 5% from 40 seats, 8% from 100 seats.
Stacked discounts above 12% need sales-lead approval (UK: M. Okafor for North).
Pilots: up to 60 days free for one site, converts to the contract at pilot end.
Quotes: numbered Q-YYYY-NNNN, valid 30 days.`,
    },
    lookup: 'Re-checking the Business price-book page for 58 seats.',
    kind: 'decision',
    notes: `Pricing decision, visit 2 (conversion + Glasgow), Acme Freight CUST-0193, price book 2026.2:
- Seats: 58 (46 from the quote + 12 Glasgow dispatchers). Still below the 100-seat tier, so the volume discount stays 5%.
- Per seat: GBP 62 list + GBP 6 UK residency = GBP 68; same 10% annual + 5% volume stack = 14.5% (above 12%, so approval needed).
- Approval: APR-3381 covered 46 seats; M. Okafor extended it to 58 seats on 29 Jul 2026 as APR-3381-A (same stack, no new discount).
- Annual list: 58 x 68 x 12 = GBP 47,328. Net: 47,328 x 0.855 = GBP 40,465.44 (GBP 58.14 per seat per month, unchanged).
- Start date: 1 Sep 2026 as Dana asked (not 30 Aug). The two days between the pilot end (30 Aug) and 1 Sep are free; no pro-rata line.
- Term: 12 months, 1 Sep 2026 to 31 Aug 2027; renewal at price book rates then current, with a cap of +5% written into the order form.
- New quote Q-2026-0598 replaces Q-2026-0412 (which covered 46 seats), issued 29 Jul 2026, valid to 28 Aug 2026; sent to Dana and Raj Patel. The CFO has to sign again because the total changed (GBP 40,465.44, over his GBP 25k threshold).
For billing: the PO must be PO 4500-7781 (AP's correction), and its value has to go up from GBP 32,093.28 to GBP 40,465.44 — Acme AP must amend the PO before we invoice, or the invoice will bounce.
${end('pricing', 2)}`,
  },
  billing: {
    source: {
      path: '/ledger/CUST-0193.csv',
      text: `date,doc,type,po,net_gbp,vat_gbp,gross_gbp,status
2026-06-04,BL-0193-01,bank-details-letter,,,,,sent
2026-07-02,PF-2026-0231,pro-forma,4500-7718,32093.28,6418.66,38511.94,issued
2026-07-02,RS-0193-1,revenue-schedule,,2674.44,,,draft (from 2026-09)`,
    },
    lookup: 'Opening the CUST-0193 ledger to fix the PO and re-issue.',
    kind: 'result',
    notes: `Billing, visit 2, Acme Freight CUST-0193 (ledger /ledger/CUST-0193.csv):
- The pro-forma PF-2026-0231 (2 Jul 2026) carried the wrong PO, 4500-7718 (we keyed it in swapped); the right one is 4500-7781. PF-2026-0231 voided today (29 Jul 2026), reason "PO number error"; no credit note needed because a pro-forma is not a tax invoice.
- New pro-forma PF-2026-0287 issued for quote Q-2026-0598: 58 seats, 1 Sep 2026 to 31 Aug 2027, net GBP 40,465.44 + VAT 20% GBP 8,093.09 = GBP 48,558.53, PO 4500-7781. Sent to ap@acmefreight.example with a note that the PO value must be amended from GBP 32,093.28 to GBP 40,465.44.
- Invoice date moves to 1 Sep 2026 (contract start), due 1 Oct 2026 (net 30). The invoice will be INV-2026-1140 once the quote is signed and the amended PO arrives.
- Revenue schedule RS-0193-1 (GBP 2,674.44 a month) replaced by RS-0193-2: GBP 3,372.12 a month, Sep 2026 to Aug 2027.
- The invoice template for CUST-0193 now validates the PO field against the PO list AP sent (4500-7781 only), so the digit swap cannot happen again.
Open items: (1) Q-2026-0598 signature (Raj Patel); (2) amended PO 4500-7781 for GBP 40,465.44; (3) INV-2026-1140 to go out on 1 Sep; (4) AP contact confirmed as Helen Marsh (ap@acmefreight.example, +44 113 496 0188).
${end('billing', 2)}`,
  },
  followup: {
    source: {
      path: '/calendar/week-31.txt',
      text: `Week 31 (27 Jul-2 Aug 2026), UK North team calendar
Wed 29 10:00 Mia Okafor: pricing approvals (done: APR-3381-A)
Thu 30 09:00-11:00 free (Mia); Priya Shah: Glasgow depot site visit possible Fri 7 Aug
Fri 31 14:00 free (Mia and Priya)
Next week: Mon 3 Aug 11:00 solutions: Samsara connector review; Tue 4 Aug 09:30 free (Mia)`,
    },
    lookup: 'Checking the calendar for the Glasgow rollout and the signature chase.',
    kind: 'note',
    notes: `Follow-up plan, visit 2 (conversion + Glasgow expansion), Acme Freight CUST-0193. State: Leeds pilot done and successful (planning time per route 14.5 -> 3.7 min); quote Q-2026-0598 for 58 seats at GBP 40,465.44/yr sent 29 Jul, valid to 28 Aug; pro-forma PF-2026-0287 with the right PO 4500-7781; contract start 1 Sep 2026.
Done today (30 Jul 2026):
- Replied to Dana Whitfield: yes to Glasgow (12 seats) and to the 1 Sep start; the PO error was ours, fixed on PF-2026-0287; the PO value has to be amended to GBP 40,465.44.
- Call with Dana booked Thu 30 Jul 09:30 with Mia Okafor to walk through Q-2026-0598 and the pilot results (74% less planning time, ~142 dispatcher-hours a week saved at Leeds); Dana will take the numbers to Raj Patel for the signature.
- Glasgow site visit: Priya Shah on Fri 7 Aug to onboard the 12 dispatchers; SSO groups for Glasgow to be added by Tom Byrne before then (email sent to Tom).
- Samsara connector review for Glasgow vehicles: Mon 3 Aug 11:00 (solutions); Acme's Samsara admin is Kieran Doyle (Dana answered the open item from visit 1).
- AP: Helen Marsh confirmed as the AP contact; asked her for the amended PO by 21 Aug so INV-2026-1140 can go out on 1 Sep.
Open items and owners:
1. Q-2026-0598 signature, Raj Patel, by 28 Aug. Owner: Mia. Chase Tue 11 Aug if unsigned.
2. Amended PO 4500-7781 (GBP 40,465.44) from Helen Marsh by 21 Aug. Owner: billing.
3. Glasgow onboarding 7 Aug and SSO groups. Owner: Priya.
4. INV-2026-1140 on 1 Sep, due 1 Oct. Owner: billing.
5. Renewal terms: +5% cap written into the order form; renewal date 31 Aug 2027. Owner: Mia, add a renewal task for Jun 2027.
Risks: the signature window is short (quote expires 28 Aug, start 1 Sep); if the PO is not amended in time the invoice slips and so does revenue recognition.
Next visit: after go-live on 1 Sep: first invoice, Glasgow usage, any support issues.
${end('followup', 2)}`,
  },
};

const visit3: Record<Step, StepText> = {
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

export const VISITS: ReadonlyArray<Record<Step, StepText>> = [visit1, visit2, visit3];
export const endMarker = end;
