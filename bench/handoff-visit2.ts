/** The handoff benchmark's visit 2 to Acme Freight Ltd (pilot conversion): what each agent looks up and the notes it hands on (bench/handoff-notes.ts). */
import { BUSINESS_PRICEBOOK, endMarker as end, type Step, type StepText } from './handoff-steps.js';

export const visit2: Record<Step, StepText> = {
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
    source: BUSINESS_PRICEBOOK,
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
