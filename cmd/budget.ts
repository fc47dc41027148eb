/**
 * `aos budget ls|show|raise|reset`: budgets over days and months (the policy's `budgets:`), what
 * each has counted in its current windows, and a person's raise or reset — which lets the
 * processes paused on it go on at once. Every --json prints the method's answer as it is.
 */
import type { ResultOf } from '../protocol/protocol.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import { table, until } from './unit-format.js';
import type { VerbSpec } from './verb.js';

type View = ResultOf<'budget_ls'>['budgets'][number];
type Flags = { json?: boolean; key?: string; usd?: string; tokens?: string; limit?: string };

const print = (json: boolean, value: unknown, human: string): void =>
  out(json ? `${JSON.stringify(value)}\n` : `${human}\n`);

function money(spent: number, limit: number | null): string {
  return limit === null ? '—' : `$${spent.toFixed(spent < 1 ? 4 : 2)} / $${limit}`;
}

function tokens(spent: number, limit: number | null): string {
  return limit === null ? '—' : `${spent} / ${limit}`;
}

type Count = View['counts'][number];

/** `daily $1, monthly 2000000 tokens (Europe/Berlin)`: the policy's limits. */
export function limitsOf(v: View): string {
  const each = v.limits
    .map((l) => `${l.period} ${l.unit === 'usd' ? `$${l.amount}` : `${l.amount} tokens`}`)
    .join(', ');
  return `${each}${v.tz ? ` (${v.tz})` : ''}`;
}

/** The policy's budgets, as `aos policy show` lists them beside its rules (what each spent: aos budget ls). */
export function policyBudgets(views: readonly View[]): string {
  if (views.length === 0) return 'budgets: none (the policy has no budgets: section)';
  const rows = views.map((v) => [
    `  ${v.name}`,
    `${v.scope}${v.pattern === null ? '' : ` ${v.pattern}`}${v.shared && v.scope !== 'kernel' ? ' (shared)' : ''}`,
    limitsOf(v),
  ]);
  return `budgets (what each has spent: aos budget ls):\n${table(['  NAME', 'COUNTS', 'LIMITS'], rows)}`;
}

/** A dollar amount as the policy writes it: `$0.08`, not `$0.08000000000000002`. */
const usd = (n: number): string => `$${Number(n.toFixed(6))}`;

/**
 * The limits of one count's window, a raise included: `daily $0.08 ($0.05 + $0.03 raised)`. The
 * column showed the policy's limits whatever was raised, so a raise seemed not to take (issue 51.4).
 */
function windowLimits(v: View, c: Count): string {
  const period = c.window.startsWith('daily:') ? 'daily' : 'monthly';
  const parts = v.limits
    .filter((l) => l.period === period)
    .map((l) => {
      if (l.unit === 'usd')
        return c.raised_usd
          ? `${usd(l.amount + c.raised_usd)} (${usd(l.amount)} + ${usd(c.raised_usd)} raised)`
          : usd(l.amount);
      return c.raised_tokens
        ? `${l.amount + c.raised_tokens} tokens (${l.amount} + ${c.raised_tokens} raised)`
        : `${l.amount} tokens`;
    });
  return `${period} ${parts.join(', ')}${v.tz ? ` (${v.tz})` : ''}`;
}

export function formatBudgets(views: readonly View[], now = Date.now()): string {
  if (views.length === 0)
    return 'no budgets (the policy has no budgets: section; docs/policy.md says how to write one)';
  const rows = views.flatMap((v) => {
    const over = `${v.scope}${v.pattern === null ? '' : ` ${v.pattern}`}`;
    if (v.counts.length === 0) return [[v.name, over, '—', '—', '—', '0%', '—', '', limitsOf(v)]];
    return v.counts.map((c) => [
      v.name,
      c.key,
      c.window,
      money(c.spent_usd, c.limit_usd),
      tokens(c.spent_tokens, c.limit_tokens),
      `${Math.round(c.share * 100)}%`,
      until(c.resets_at, now),
      c.paused.length ? c.paused.join(',') : '',
      windowLimits(v, c),
    ]);
  });
  return table(['BUDGET', 'COUNTS', 'WINDOW', 'DOLLARS', 'TOKENS', 'USED', 'RESETS', 'PAUSED', 'LIMITS'], rows);
}

function formatShow(r: ResultOf<'budget_show'>, now = Date.now()): string {
  const past = r.history.filter((h) => !r.budget.counts.some((c) => c.key === h.key && c.window === h.window));
  const lines = [formatBudgets([r.budget], now)];
  if (past.length)
    lines.push(
      '',
      'earlier windows:',
      table(
        ['COUNTS', 'WINDOW', 'DOLLARS', 'TOKENS', 'RAISED'],
        past.map((h) => [
          h.key,
          h.window,
          `$${h.spent_usd.toFixed(4)}`,
          String(h.spent_tokens),
          h.raised_usd || h.raised_tokens ? `$${h.raised_usd} ${h.raised_tokens} tokens` : '',
        ]),
      ),
    );
  return lines.join('\n');
}

function amount(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/^\$/, ''));
  if (!Number.isFinite(value) || value <= 0) throw new CliError(`--${what} must be a positive number (got "${text}")`);
  return value;
}

/**
 * What a raise did, count by count: it adds to the window's limit (`--usd 2` on $1 is $3), which a
 * person reading "raise --usd 2" as "the limit is $2 now" was not told (issue 51.4).
 */
function raisedLines(v: View, by: { usd?: number; tokens?: number }, key: string | undefined): string {
  const counts = v.counts.filter((c) => key === undefined || c.key === key);
  const lines = counts.flatMap((c) => [
    ...(by.usd !== undefined && c.limit_usd !== null
      ? [
          `raised ${v.name} ${c.key} ${c.window} by ${usd(by.usd)}: its limit is ${usd(c.limit_usd)} now, was ${usd(c.limit_usd - by.usd)}`,
        ]
      : []),
    ...(by.tokens !== undefined && c.limit_tokens !== null
      ? [
          `raised ${v.name} ${c.key} ${c.window} by ${Math.round(by.tokens)} tokens: its limit is ${c.limit_tokens} tokens now, was ${c.limit_tokens - Math.round(by.tokens)}`,
        ]
      : []),
  ]);
  const note = "(a raise adds to this window only; the next window has the policy's limits again)";
  return lines.length ? [...lines, note].join('\n') : `raised ${v.name} (no window of it counts anything yet)`;
}

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };
const keyOption = {
  flags: '-k, --key <key>',
  help: 'what it counts: kernel, unit:<name>, process:<name>, tree:<root pid> (default: every key it counted)',
};

export const budgetVerb: VerbSpec = {
  name: 'budget',
  summary: 'budgets over days and months: what each has spent, and raise or reset one',
  help: `
Budgets are the policy's budgets: section (docs/policy.md): daily_usd, monthly_usd, daily_tokens,
monthly_tokens over the whole kernel, units, process names or trees, in a time zone. A process a
budget refuses is paused — blocked (budget) — not killed, and goes on when the window rolls or
when you raise it.

Examples:
  aos budget ls
  aos budget raise kernel --usd 2
  aos budget reset nightly --key unit:digest`,
  subcommands: [
    {
      name: 'ls',
      summary: 'every budget: what each count spent in its current window, and what is paused on it',
      options: [json],
      run: ({ flags }) =>
        withKernel(async (client) => {
          const r = await client.request('budget_ls', {});
          print((flags as Flags).json ?? false, r, formatBudgets(r.budgets));
          return EXIT.ok;
        }),
    },
    {
      name: 'show',
      summary: 'one budget: its counts now and its earlier windows',
      args: [['<name>', 'the budget']],
      options: [{ flags: '-n, --limit <n>', help: 'earlier rows to show (default 60)' }, json],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const limit = f.limit === undefined ? undefined : Math.trunc(amount(f.limit, 'limit') ?? 60);
          const r = await client.request('budget_show', {
            name: name as string,
            ...(limit === undefined ? {} : { limit }),
          });
          print(f.json ?? false, r, formatShow(r));
          return EXIT.ok;
        }),
    },
    {
      name: 'raise',
      summary: "add to the current window's limit (this window only); the processes paused on it go on",
      args: [['<name>', 'the budget']],
      options: [
        {
          flags: '--usd <amount>',
          help: "dollars to add to this window's limit (not the new limit: $1 raised by 2 is $3)",
        },
        { flags: '--tokens <n>', help: "tokens to add to this window's limit" },
        keyOption,
        json,
      ],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const usd = amount(f.usd, 'usd');
          const tokensToAdd = amount(f.tokens, 'tokens');
          if (usd === undefined && tokensToAdd === undefined) throw new CliError('give --usd or --tokens (or both)');
          const r = await client.request('budget_raise', {
            name: name as string,
            ...(f.key ? { key: f.key } : {}),
            ...(usd === undefined ? {} : { usd }),
            ...(tokensToAdd === undefined ? {} : { tokens: Math.round(tokensToAdd) }),
          });
          print(
            f.json ?? false,
            r,
            `${raisedLines(r.budget, { usd, tokens: tokensToAdd }, f.key)}\n\n${formatBudgets([r.budget])}`,
          );
          return EXIT.ok;
        }),
    },
    {
      name: 'reset',
      summary: "the current window's spend back to nothing (audited); the processes paused on it go on",
      args: [['<name>', 'the budget']],
      options: [keyOption, json],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('budget_reset', { name: name as string, ...(f.key ? { key: f.key } : {}) });
          print(f.json ?? false, r, `reset ${name as string}\n${formatBudgets([r.budget])}`);
          return EXIT.ok;
        }),
    },
  ],
};
