/**
 * `aos policy check FILE --against PIDS|TAPES` and `aos policy apply FILE` (issue 52.3): a
 * candidate policy tried on past runs by the daemon (protocol policy_try: the calls replayed
 * through it, none run), printed as the calls it would decide differently with counts; then put in
 * force only once checked as it is (policy_apply). The file is validated first as a starting kernel
 * would (cmd/policy.ts checkPolicyFile): a bad file is its line's error, exit 1.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { shownText } from '../protocol/show-call.js';
import { sinceToIso } from './audit.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { err, out } from './out.js';

type Tried = ResultOf<'policy_try'>;
type Row = Tried['rows'][number];
type Decision = Row['before'];

export interface TryFlags {
  against?: string;
  since?: string;
  json?: boolean;
}

/** `--against 12,15,run.yaml`: numbers are processes, anything else a tape file. */
export function againstOf(list: string): { pids: number[]; tapes: string[] } {
  const pids: number[] = [];
  const tapes: string[] = [];
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (/^\d+$/.test(item)) {
      const pid = Number(item);
      if (!Number.isSafeInteger(pid) || pid < 1) throw new CliError(`--against: not a process id: ${item}`);
      pids.push(pid);
    } else tapes.push(item);
  }
  if (pids.length === 0 && tapes.length === 0)
    throw new CliError('--against takes process ids and tape files, comma-separated (e.g. --against 12,15,run.yaml)');
  return { pids, tapes };
}

async function textOf(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** What happened, or would: `ask (approved)`, `deny`, `refused`. */
function said(d: Decision): string {
  return d.answer ? `${d.verdict} (${d.answer})` : d.verdict;
}

/** The order counts are printed in: same first, then each difference, then what could not be tried. */
function countsLine(counts: Record<string, number>): string {
  const keys = Object.keys(counts).sort((a, b) => {
    const rank = (k: string): number => (k === 'same' ? 0 : k === 'unknown' || k === 'taint' ? 2 : 1);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const words: Record<string, string> = { unknown: 'not told without running', taint: 'decided by taint' };
  return keys.length ? keys.map((k) => `${counts[k]} ${words[k] ?? k}`).join(', ') : 'no calls';
}

export function formatTried(result: Tried): string {
  const lines = [
    `policy ${result.file} tried on ${result.calls} calls of ${result.runs.map((r) => `${r.source} (${r.calls})`).join(', ') || 'nothing'}`,
    `counts: ${countsLine(result.counts)}`,
  ];
  if (result.rows.length === 0) lines.push('', 'no call would be decided differently');
  else lines.push('', `${result.rows.length} decided differently (before → after):`);
  for (const row of result.rows) {
    const who = row.pid === null ? (row.agent ?? 'tape') : `pid ${row.pid}`;
    const by = (d: Decision): string => (d.rule === null ? 'no rule' : shownText(d.rule));
    lines.push(
      `  ${who} turn ${row.turn} call ${row.seq}  ${said(row.before)} → ${said(row.after)}  (${by(row.before)} → ${by(row.after)})`,
      `    ${row.shown}`,
    );
    if (row.after.note) lines.push(`    (${shownText(row.after.note)})`);
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** The candidate tried on the runs named by --against and --since, through the daemon. */
export async function runPolicyTry(file: string, flags: TryFlags): Promise<number> {
  const { pids, tapes } = flags.against === undefined ? { pids: [], tapes: [] } : againstOf(flags.against);
  const since = flags.since === undefined ? undefined : sinceToIso(flags.since);
  const text = await textOf(file);
  return withKernel(async (client) => {
    const result = await client.request('policy_try', {
      text,
      file,
      ...(pids.length ? { pids } : {}),
      ...(tapes.length ? { tapes, cwd: process.cwd() } : {}),
      ...(since === undefined ? {} : { since }),
    });
    out(flags.json ? `${JSON.stringify({ ok: true, ...result })}\n` : `${formatTried(result)}\n`);
    return EXIT.ok;
  });
}

/** `aos policy apply FILE`: in force only as checked (unless --force), reloaded before it answers. */
export async function runPolicyApply(file: string, flags: { force?: boolean; json?: boolean }): Promise<number> {
  const at = path.resolve(file);
  const text = await textOf(at);
  return withKernel(async (client) => {
    const result = await client.request('policy_apply', { text, file: at, ...(flags.force ? { force: true } : {}) });
    if (flags.json) out(`${JSON.stringify(result)}\n`);
    else if (result.error === null) {
      const checked = result.counts === null ? 'unchecked (--force)' : `checked: ${countsLine(result.counts)}`;
      out(
        result.changed
          ? `applied ${at} to ${result.file} (${checked}); in force since ${result.loaded_at}\n`
          : `${result.file} already holds ${at} (${checked}); nothing changed\n`,
      );
    } else err(`aos: ${at} was written to ${result.file} but is not in force: ${result.error}\n`);
    return result.error === null ? EXIT.ok : EXIT.usage;
  });
}
