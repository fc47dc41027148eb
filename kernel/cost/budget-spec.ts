/**
 * The policy's `budgets:` — limits on spend over days and months, each over what it matches:
 *   - kernel: true        every process, one count
 *   - unit: "digest*"     each matching unit's runs, a count per unit
 *   - process: "web-*"    processes by name, a count per name
 *   - tree: "*"           process trees by their root's name, a count per tree
 * (`shared: true` makes one count of all a budget matches). A unit or process budget covers the
 * matched process's whole subtree: its children's requests count under it too, so a child is no way
 * around its parent's budget (`subtree: false` counts the matched processes' own requests only).
 * Limits: daily_usd, monthly_usd, daily_tokens, monthly_tokens; windows start at midnight (and on
 * the 1st) in `tz`.
 */
import { z } from 'zod';
import { compileGlob } from '../../sys/capabilities.js';
import { AosError } from '../../sys/errno.js';

const usd = z.number().positive().max(1_000_000);
const tokens = z.number().int().positive();

const budgetSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-" (at most 64)')
      .optional(),
    kernel: z.literal(true).optional(),
    unit: z.string().min(1).max(128).optional(),
    process: z.string().min(1).max(128).optional(),
    tree: z.string().min(1).max(128).optional(),
    shared: z.boolean().optional(),
    subtree: z.boolean().optional(),
    daily_usd: usd.optional(),
    monthly_usd: usd.optional(),
    daily_tokens: tokens.optional(),
    monthly_tokens: tokens.optional(),
    tz: z.string().min(1).optional(),
  })
  .strict();

export const budgetsSchema = z.array(budgetSchema).max(64);

export type BudgetScope = 'kernel' | 'unit' | 'process' | 'tree';
export type BudgetPeriod = 'daily' | 'monthly';

export interface BudgetLimit {
  period: BudgetPeriod;
  unit: 'usd' | 'tokens';
  amount: number;
}

export interface BudgetSpec {
  name: string;
  scope: BudgetScope;
  /** The glob a unit, process or tree name must match (null for the kernel). */
  pattern: string | null;
  match: RegExp | null;
  /** One count for everything it matches, instead of one per unit, name or tree. */
  shared: boolean;
  /** A unit or process budget counts the requests of the matched processes' descendants too (true unless `subtree: false`). */
  subtree: boolean;
  limits: BudgetLimit[];
  /** IANA time zone of its windows; the kernel's when null. */
  tz: string | null;
}

const SCOPES: readonly BudgetScope[] = ['kernel', 'unit', 'process', 'tree'];

function checkTimeZone(tz: string, where: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new AosError('EINVAL', `${where}: tz "${tz}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  }
}

export function toBudgetSpecs(raw: ReadonlyArray<z.infer<typeof budgetSchema>>, file: string): BudgetSpec[] {
  const specs = raw.map((b, i): BudgetSpec => {
    const where = `policy ${file}: budgets[${i}]`;
    const scopes = SCOPES.filter((s) => b[s] !== undefined);
    if (scopes.length !== 1)
      throw new AosError(
        'EINVAL',
        `${where}: say what it covers with one of kernel: true, unit:, process: or tree: (got ${scopes.length ? scopes.join(', ') : 'none'})`,
      );
    const scope = scopes[0] as BudgetScope;
    const pattern = scope === 'kernel' ? null : (b[scope] as string);
    const limits: BudgetLimit[] = [];
    if (b.daily_usd !== undefined) limits.push({ period: 'daily', unit: 'usd', amount: b.daily_usd });
    if (b.monthly_usd !== undefined) limits.push({ period: 'monthly', unit: 'usd', amount: b.monthly_usd });
    if (b.daily_tokens !== undefined) limits.push({ period: 'daily', unit: 'tokens', amount: b.daily_tokens });
    if (b.monthly_tokens !== undefined) limits.push({ period: 'monthly', unit: 'tokens', amount: b.monthly_tokens });
    if (limits.length === 0)
      throw new AosError('EINVAL', `${where}: give a limit: daily_usd, monthly_usd, daily_tokens or monthly_tokens`);
    if (b.tz !== undefined) checkTimeZone(b.tz, where);
    if (b.subtree !== undefined && scope !== 'unit' && scope !== 'process')
      throw new AosError(
        'EINVAL',
        `${where}: subtree: is for unit: and process: budgets (a ${scope} budget covers ${scope === 'kernel' ? 'every process' : 'the whole tree'} already)`,
      );
    return {
      name: b.name ?? (pattern === null ? 'kernel' : `${scope}-${pattern.replace(/[^A-Za-z0-9._-]+/g, '_')}`),
      scope,
      pattern,
      match: pattern === null ? null : compileGlob(pattern),
      shared: b.shared ?? scope === 'kernel',
      subtree: b.subtree ?? true,
      limits,
      tz: b.tz ?? null,
    };
  });
  const twice = specs.find((s, i) => specs.findIndex((o) => o.name === s.name) !== i);
  if (twice)
    throw new AosError('EINVAL', `policy ${file}: budgets: two budgets are named ${twice.name} (give each a name:)`);
  return specs;
}
