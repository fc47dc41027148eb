/**
 * `aos audit export` and `aos audit verify --export FILE --pubkey KEY` (issue 52.5): the trail
 * written out with an Ed25519 signature over its head, and checked on any machine with the public
 * key alone — no kernel, no HMAC key. The format: protocol/audit-export.ts.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  ExportDigest,
  canonicalRowLine,
  followsProblem,
  verifyExport,
  type ExportStatement,
  type ExportVerdict,
} from '../protocol/audit-export.js';
import { toInt } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { err, out } from './out.js';

export type ExportFlags = { out?: string; after?: string; pubkeyOut?: string; json?: boolean };

const PAGE = 10_000;

/** Write to `file` through a temporary beside it, so a reader never sees half an export. */
function atomicWriter(file: string): { write(text: string): void; done(): void; abandon(): void } {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  return {
    write: (text) => void writeSync(fd, text),
    done: () => {
      closeSync(fd);
      renameSync(temp, file);
    },
    abandon: () => {
      closeSync(fd);
      rmSync(temp, { force: true });
    },
  };
}

export async function runAuditExport(flags: ExportFlags): Promise<number> {
  const after = flags.after === undefined ? 0 : toInt(flags.after, '--after', 0, Number.MAX_SAFE_INTEGER);
  if (flags.json && !flags.out)
    throw new CliError('--json prints a summary, so the export needs a file: add --out FILE');
  return withKernel(async (client) => {
    const signed = await client.request('audit_export', { after });
    const { statement } = signed.header;
    const sink = flags.out
      ? atomicWriter(path.resolve(flags.out))
      : { write: (t: string) => out(t), done: () => undefined, abandon: () => undefined };
    try {
      sink.write(`${JSON.stringify(signed.header)}\n`);
      // The rows the statement covers, page by page; the digest is checked here before the file is kept.
      const digest = new ExportDigest();
      let from = after;
      const upto = statement.last_id ?? after;
      while (from < upto) {
        const { rows } = await client.request('audit_rows', { after: from, upto, limit: PAGE });
        if (rows.length === 0) break;
        for (const row of rows) {
          digest.add(row);
          sink.write(`${canonicalRowLine(row)}\n`);
        }
        from = rows[rows.length - 1]?.id ?? upto;
      }
      if (digest.count !== statement.rows || digest.hex !== statement.digest)
        throw new CliError(
          `the audit trail changed while it was exported (${digest.count} rows read, ${statement.rows} signed): run aos audit export again`,
        );
      sink.done();
    } catch (error) {
      sink.abandon();
      throw error;
    }
    if (flags.pubkeyOut) {
      const pub = atomicWriter(path.resolve(flags.pubkeyOut));
      pub.write(signed.public_key);
      pub.done();
    }
    const pubFile = signed.key_file ? signed.key_file.replace(/\.key$/, '.pub') : null;
    report(statement, flags, pubFile);
    return EXIT.ok;
  });
}

function report(statement: ExportStatement, flags: ExportFlags, pubFile: string | null): void {
  const summary = {
    file: flags.out ? path.resolve(flags.out) : null,
    rows: statement.rows,
    first_id: statement.first_id,
    last_id: statement.last_id,
    head: statement.head,
    key: statement.key,
    public_key_file: flags.pubkeyOut ? path.resolve(flags.pubkeyOut) : pubFile,
    exported_at: statement.exported_at,
  };
  if (flags.json) {
    out(`${JSON.stringify(summary)}\n`);
    return;
  }
  const span = statement.rows === 0 ? 'no records' : `records #${statement.first_id}..#${statement.last_id}`;
  const where = summary.file ? ` to ${summary.file}` : '';
  err(
    `exported ${statement.rows} audit record${statement.rows === 1 ? '' : 's'} (${span})${where}, signed by ${statement.key}\n`,
  );
  if (summary.public_key_file)
    err(
      `public key: ${summary.public_key_file} — check with: aos audit verify --export ${summary.file ?? 'FILE'} --pubkey ${summary.public_key_file}\n`,
    );
  else
    err(
      "this kernel's store is in memory: its signing key lasts this run only; keep the public key with --pubkey-out FILE\n",
    );
}

/**
 * `aos audit verify --export FILE --pubkey KEY [--follows EARLIER]`: offline, with the public key
 * alone; with --follows, that FILE (an `--after` export) carries on from EARLIER, both intact.
 */
export function runExportVerify(flags: { export: string; pubkey?: string; follows?: string; json?: boolean }): number {
  if (!flags.pubkey) throw new CliError('--export needs --pubkey KEY: the public key the export was signed with');
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  const lines = read(flags.export, 'export').split('\n');
  const key = read(flags.pubkey, 'public key');
  let v: ExportVerdict = verifyExport(lines, key);
  if (v.ok && flags.follows !== undefined) {
    const earlier = verifyExport(read(flags.follows, 'earlier export').split('\n'), key);
    const problem = earlier.ok
      ? followsProblem(earlier, v)
      : `the earlier export ${flags.follows} is not intact: ${earlier.problem}`;
    if (problem !== null) v = { ok: false, problem, line: null, statement: v.statement };
  }
  if (flags.json) out(`${JSON.stringify(v)}\n`);
  else if (v.ok) {
    const s = v.statement;
    const span = s.rows === 0 ? 'no records' : `records #${s.first_id}..#${s.last_id}`;
    out(
      `export intact: ${s.rows} record${s.rows === 1 ? '' : 's'} (${span}), exported ${s.exported_at}, signed by ${s.key}${flags.follows === undefined ? '' : `, and it carries on from ${flags.follows}`}\n`,
    );
  } else err(`aos: export not intact${v.line === null ? '' : ` (line ${v.line})`}: ${v.problem}\n`);
  return v.ok ? EXIT.ok : EXIT.usage;
}
