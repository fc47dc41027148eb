/**
 * A person's decisions on a budget (`aos budget raise`, `aos budget reset`), on the current windows
 * of one key or of every key it counted: more room, or the spend back to nothing. Each is audited
 * and evented; budgets.ts then lets the processes paused on the budget go on.
 */
import { AosError } from '../../sys/errno.js';
import { type BudgetLedger, type Count, type LedgerHost, sharedKey } from './budget-counts.js';
import type { Spend } from './request-cost.js';

/** More for the current windows of budget `name` (`key`, or every key it counted); the counts raised. */
export function raiseBudget(
  ledger: BudgetLedger,
  host: LedgerHost,
  name: string,
  key: string | null,
  by: Spend,
  who: string,
): Count[] {
  const spec = ledger.spec(name);
  const keys = key !== null ? [key] : [...new Set(ledger.current(name).map((c) => c.key))];
  if (keys.length === 0) {
    if (!spec.shared)
      throw new AosError(
        'EINVAL',
        `budget ${name} has counted nothing yet in this window: name what to raise with --key (${spec.scope}:<name>)`,
      );
    keys.push(sharedKey(spec));
  }
  const changed: Count[] = [];
  for (const k of keys) {
    for (const period of new Set(spec.limits.map((l) => l.period))) {
      const count = ledger.count(spec, k, period);
      count.raisedUsd += by.usd;
      count.raisedTokens += by.tokens;
      ledger.changed(count, 'lowered');
      ledger.emit(count, 'raised', 0);
      changed.push(count);
    }
  }
  const amount = [by.usd ? `$${by.usd}` : '', by.tokens ? `${by.tokens} tokens` : ''].filter(Boolean).join(' and ');
  host.audit({
    pid: 0,
    call: 'BUDGET',
    subject: `${name}${key ? ` ${key}` : ''}`,
    decision: 'allow',
    rule: `budget ${name}`,
    decided_by: 'person',
    reason: `raised by ${amount} (${who})`,
  });
  return changed;
}

/** The current windows' spend of budget `name` (`key`, or every key) back to nothing; the counts reset. */
export function resetBudget(
  ledger: BudgetLedger,
  host: LedgerHost,
  name: string,
  key: string | null,
  who: string,
): Count[] {
  const counts = ledger.current(name).filter((c) => key === null || c.key === key);
  for (const count of counts) {
    Object.assign(count, { usd: 0, tokens: 0 });
    ledger.changed(count, 'lowered');
    ledger.emit(count, 'reset', 0);
  }
  host.audit({
    pid: 0,
    call: 'BUDGET',
    subject: `${name}${key ? ` ${key}` : ''}`,
    decision: 'allow',
    rule: `budget ${name}`,
    decided_by: 'person',
    reason: `reset (${who})`,
  });
  return counts;
}
