/** `aos audit [--pid N] [--since …] [--json]` and `aos audit verify`: the policy's decisions, on record. */
import type { Command } from 'commander';
import type { ResultOf } from '../kernel/wire/protocol.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import type { Run } from './verb.js';

type Row = ResultOf<'audit'>['rows'][number];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (90s, 30m, 12h, 7d) or an ISO time. */
export function sinceToIso(value: string, now = Date.now()): string {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(value.trim());
  if (m) return new Date(now - Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0)).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`--since takes a duration (90s, 30m, 12h, 7d) or a time (2026-11-22T10:00:00Z) (got "${value}")`);
  return new Date(t).toISOString();
}

export function formatAudit(rows: readonly Row[]): string {
  if (rows.length === 0) return 'no audit records';
  return rows
    .map((r) => {
      const who = r.decided_by + (r.via ? ` via ${r.via}` : '');
      const extra = [r.rule, r.approval ? `approval ${r.approval}` : null, r.reason].filter(Boolean).join('; ');
      return `${r.ts}  #${r.id}  pid ${r.pid}  ${r.decision.padEnd(8)} ${r.call} ${r.subject.replace(/\s+/g, ' ').slice(0, 80)}  [${who}]${extra ? `  ${extra}` : ''}`;
    })
    .join('\n');
}

export async function runAudit(flags: { pid?: string; since?: string; limit?: string; json?: boolean }): Promise<number> {
  const pid = flags.pid === undefined ? undefined : toPid(flags.pid);
  const since = flags.since === undefined ? undefined : sinceToIso(flags.since);
  const limit = flags.limit === undefined ? undefined : toInt(flags.limit, '--limit', 1, 10_000);
  return withKernel(async (client) => {
    const { rows } = await client.request('audit', { pid, since, limit });
    process.stdout.write(flags.json ? `${JSON.stringify(rows)}\n` : `${formatAudit(rows)}\n`);
    return EXIT.ok;
  });
}

export async function runAuditVerify(flags: { json?: boolean }): Promise<number> {
  return withKernel(async (client) => {
    const v = await client.request('audit_verify', {});
    if (flags.json) process.stdout.write(`${JSON.stringify(v)}\n`);
    else if (v.ok) process.stdout.write(`audit trail intact: ${v.rows} record${v.rows === 1 ? '' : 's'}, head ${String(v.head).slice(0, 16)}\n`);
    else process.stderr.write(`aos: audit trail broken at record #${String(v.bad_id)}: ${String(v.problem)} (${v.rows} records before it are intact)\n`);
    return v.ok ? EXIT.ok : EXIT.usage;
  });
}

export function registerAudit(program: Command, run: Run): void {
  const audit = program
    .command('audit')
    .description('the policy decisions on record: allow, ask, deny and every answer to an approval')
    .option('--pid <pid>', 'only this process')
    .option('--since <when>', 'only records from then on: a duration back (30m, 12h, 7d) or a time')
    .option('--limit <n>', 'the newest n records (default and most: 10000)')
    .option('--json', 'print an array of {id, ts, pid, call, subject, decision, rule, decided_by, via, reason, approval, prev, hash}')
    .addHelpText('after', '\nRecords are hash-chained: aos audit verify finds an edited, inserted or removed record.\n\nExamples:\n  aos audit --pid 3\n  aos audit --since 1h --json\n  aos audit verify')
    .action((flags: { pid?: string; since?: string; limit?: string; json?: boolean }) => run(() => runAudit(flags)));
  audit
    .command('verify')
    .description('walk the hash chain: exit 0 when intact, 1 naming the first broken record')
    .option('--json', 'print {ok, rows, head, bad_id, problem}')
    .action((flags: { json?: boolean }) => run(() => runAuditVerify(flags)));
}
