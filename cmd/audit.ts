/** `aos audit [--pid N] [--since …] [--json]` and `aos audit verify`: the policy's decisions, on record. */
import type { ResultOf } from '../protocol/protocol.js';
import { auditSubject, escapeControl } from '../protocol/show-call.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';
import { tableWidth } from './width.js';
import { type ExportFlags, runAuditExport, runExportVerify } from './audit-export.js';

type Row = ResultOf<'audit'>['rows'][number];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (90s, 30m, 12h, 7d) or an ISO time. */
export function sinceToIso(value: string, now = Date.now()): string {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(value.trim());
  if (m) return new Date(now - Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0)).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new CliError(
      `--since takes a duration (90s, 30m, 12h, 7d) or a time (2026-11-22T10:00:00Z) (got "${value}")`,
    );
  return new Date(t).toISOString();
}

/**
 * One line a record: its subject (a command, a path, a capability — text a model may have written)
 * and every other text escaped (protocol/show-call.ts: no control character acts on the terminal,
 * no bidi override reorders it), the subject cut to fit `width` with a mark saying how much was
 * left out (at least 80 characters and the mark are kept, as before; Infinity: never cut).
 */
export function formatAudit(rows: readonly Row[], width = Infinity): string {
  if (rows.length === 0) return 'no audit records';
  return rows
    .map((r) => {
      const who = escapeControl(r.decided_by + (r.via ? ` via ${r.via}` : ''));
      const extra = [r.rule, r.approval ? `approval ${r.approval}` : null, r.reason]
        .filter(Boolean)
        .map((t) => escapeControl(t as string))
        .join('; ');
      const head = `${r.ts}  #${r.id}  pid ${r.pid}  ${r.decision.padEnd(8)} ${escapeControl(r.call)} `;
      const tail = `  [${who}]`;
      return `${head}${auditSubject(r.subject, Math.max(120, width - head.length - tail.length))}${tail}${extra ? `  ${extra}` : ''}`;
    })
    .join('\n');
}

type AuditFlags = { pid?: string; since?: string; limit?: string; json?: boolean; trunc?: boolean };

export async function runAudit(flags: AuditFlags): Promise<number> {
  const pid = flags.pid === undefined ? undefined : toPid(flags.pid);
  const since = flags.since === undefined ? undefined : sinceToIso(flags.since);
  const limit = flags.limit === undefined ? undefined : toInt(flags.limit, '--limit', 1, 10_000);
  return withKernel(
    async (client) => {
      const { rows } = await client.request('audit', { pid, since, limit });
      out(flags.json ? `${JSON.stringify(rows)}\n` : `${formatAudit(rows, tableWidth(flags.trunc ?? true))}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export async function runAuditVerify(flags: {
  json?: boolean;
  export?: string;
  pubkey?: string;
  follows?: string;
}): Promise<number> {
  if (flags.export !== undefined) return runExportVerify({ ...flags, export: flags.export });
  if (flags.follows !== undefined) throw new CliError('--follows checks an export: add --export FILE --pubkey KEY');
  if (flags.pubkey !== undefined)
    throw new CliError(
      '--pubkey checks an export: add --export FILE (without both, verify checks the running kernel’s trail)',
    );
  return withKernel(
    async (client) => {
      const v = await client.request('audit_verify', {});
      if (flags.json) out(`${JSON.stringify(v)}\n`);
      else if (v.ok) {
        const before = Number(v.keyed_from) - 1;
        const note =
          before > 0 && v.rows > 0
            ? ` (records 1..${Math.min(before, v.rows)} predate the audit key: hashed, not keyed)`
            : '';
        out(
          `audit trail intact: ${v.rows} record${v.rows === 1 ? '' : 's'}, head ${String(v.head).slice(0, 16)}${note}\n`,
        );
      } else
        err(
          `aos: audit trail broken at record #${String(v.bad_id)}: ${String(v.problem)} (${v.rows} records before it are intact)\n`,
        );
      return v.ok ? EXIT.ok : EXIT.usage;
    },
    { retryIfLost: true },
  );
}

export const auditVerb: VerbSpec = {
  name: 'audit',
  summary: 'the policy decisions on record: allow, ask, deny and every answer to an approval',
  options: [
    { flags: '--pid <pid>', help: 'only this process' },
    { flags: '--since <when>', help: 'only records from then on: a duration back (30m, 12h, 7d) or a time' },
    { flags: '--limit <n>', help: 'the newest n records (default and most: 10000)' },
    { flags: '--no-trunc', help: 'never cut a SUBJECT to fit the width (a cut ends in …(+N chars))' },
    {
      flags: '--json',
      help: 'print an array of {id, ts, pid, call, subject, decision, rule, decided_by, via, reason, approval, prev, hash}',
    },
  ],
  help: `
Records are hash-chained: aos audit verify finds an edited, inserted or removed record.
aos audit export writes them with an Ed25519 signature that anyone with the public key can check
on another machine: aos audit verify --export FILE --pubkey KEY (no kernel, no audit key needed).
Subjects and reasons are shown escaped (controls as \\e \\n \\xHH \\uHHHH, a backslash as \\\\); --json has them as recorded.

Examples:
  aos audit --pid 3
  aos audit --since 1h --json
  aos audit verify
  aos audit export --out trail.jsonl
  aos audit verify --export trail.jsonl --pubkey ~/.aos/audit-sign.pub
  aos audit export --after 1200 --out next.jsonl
  aos audit verify --export next.jsonl --follows trail.jsonl --pubkey ~/.aos/audit-sign.pub`,
  run: ({ flags }) => runAudit(flags as AuditFlags),
  subcommands: [
    {
      name: 'verify',
      summary: 'walk the hash chain (or check an export offline): exit 0 when intact, 1 naming the first broken record',
      options: [
        { flags: '--export <file>', help: 'check an export written by aos audit export, without a kernel' },
        { flags: '--pubkey <file>', help: "with --export: the exporting kernel's public key (audit-sign.pub)" },
        {
          flags: '--follows <file>',
          help: 'with --export: the export before this one (--after its last record): nothing between them left out or changed',
        },
        {
          flags: '--json',
          help: 'print {ok, rows, head, bad_id, problem}; with --export {ok, statement, problem, line}',
        },
      ],
      run: ({ flags }) => runAuditVerify(flags as { json?: boolean; export?: string; pubkey?: string }),
    },
    {
      name: 'export',
      summary: 'write the trail with an Ed25519 signature over its head, for someone else to check',
      options: [
        {
          flags: '-o, --out <file>',
          help: 'write the export here (default: standard output; the summary goes to stderr)',
        },
        { flags: '--after <id>', help: 'only records after this one (an export that follows an earlier one)' },
        { flags: '--pubkey-out <file>', help: 'also write the public key that checks it' },
        {
          flags: '--json',
          help: 'print {file, rows, first_id, last_id, head, key, public_key_file, exported_at} (needs --out)',
        },
      ],
      help: `
The export is JSON lines: a signed statement (rows, first and last id, the chain's head, a digest
over every row), then one record a line. The signing key is made at the first export and kept in
the kernel's home (audit-sign.key, mode 0600; its public half in audit-sign.pub). The trail is
verified first: a broken chain is never signed.

Examples:
  aos audit export -o trail.jsonl
  aos audit export --after 1200 -o trail-2.jsonl --pubkey-out aos.pub`,
      run: ({ flags }) => runAuditExport(flags as ExportFlags),
    },
  ],
};
