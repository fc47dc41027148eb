/** The handoff benchmark's visit 1 to Acme Freight Ltd (onboarding): what each agent looks up and the notes it hands on (bench/handoff-notes.ts). */
import { BUSINESS_PRICEBOOK, endMarker as end, type Step, type StepText } from './handoff-steps.js';

export const visit1: Record<Step, StepText> = {
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
    source: BUSINESS_PRICEBOOK,
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
