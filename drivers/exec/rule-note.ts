/**
 * The note a failed EXEC_CMD carries when its stderr shows a write or an open refused on a path the
 * policy's fs rules protect: which rule made it read-only or hidden, and the way that remains
 * (FS_WRITE or FS_READ, which ask a person under an `ask` rule). A run that succeeded carries none.
 */
import path from 'node:path';
import type { Protection } from './rule-protections.js';

// What a read-only path answers (EROFS; EBUSY: it is a mount point; EXDEV: a hard link out of it; EPERM), and a hidden one (EACCES), as tools word them.
const READ_ONLY =
  /read-only file system|device or resource busy|cross-device link|operation not permitted|\[errno (?:1|16|18|30)\]|\b(?:EROFS|EBUSY|EXDEV|EPERM)\b/i;
const HIDDEN = /permission denied|\[errno 13\]|\bEACCES\b/i;
const MAX_NAMED = 3;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ways a command's error may name a workspace path: absolute in the sandbox, from the root, from the working directory. */
function spellings(p: string, cwd: string): string[] {
  const all = new Set([`/workspace${p}`, p.slice(1)]);
  const rel = path.posix.relative(cwd, p);
  if (rel !== '' && !rel.startsWith('..')) all.add(rel);
  return [...all].filter(Boolean);
}

function names(line: string, p: Protection, cwd: string): boolean {
  if (p.path === '/' || cwd === p.path || cwd.startsWith(`${p.path}/`)) return true;
  return spellings(p.path, cwd).some((s) =>
    new RegExp(`(?:^|[\\s'"\`‘’:=(])${escape(s)}(?:$|[\\s/'"\`‘’:),])`).test(line),
  );
}

function describe(p: Protection): string {
  const rules = p.rules.map((r) => r.text).join(', ');
  const ask = p.rules.some((r) => r.verdict === 'ask');
  if (p.effect === 'hide')
    return `${p.path} is hidden from commands under ${rules}${ask ? ' (read it with FS_READ, which asks a person)' : ''}`;
  const propose = p.rules.some((r) => r.verdict === 'propose');
  const way = ask
    ? ' (write it with FS_WRITE, which asks a person)'
    : propose
      ? ' (write it with FS_WRITE, which runs as a proposal a person may undo)'
      : '';
  const why =
    p.wider === 'missing'
      ? ', whose path is not there yet'
      : p.wider === null
        ? ''
        : ', whose wildcard could match a new name there';
  if (p.keep !== undefined)
    return `commands cannot add, remove or rename a name in ${p.path} under ${rules}${why}${way}`;
  return `${p.path} is read-only to commands under ${rules}${why}${way}`;
}

/** The note for a run's result, or null: only a failed run whose stderr names a refusal on a protected path gets one. */
export function ruleNote(
  result: { exit_code: number | null; stderr: string },
  protections: readonly Protection[],
  cwd: string,
): string | null {
  if (result.exit_code === 0 || protections.length === 0) return null;
  // Each refusal is put down to the deepest protection it names (`src/a.js` to /src, not to / as well).
  const named = new Set<Protection>();
  for (const line of result.stderr.split('\n')) {
    const hits = protections.filter(
      (p) => (p.effect === 'hide' ? HIDDEN : READ_ONLY).test(line) && names(line, p, cwd),
    );
    const deepest = hits.reduce<Protection | null>(
      (best, p) => (best === null || p.path.length > best.path.length ? p : best),
      null,
    );
    if (deepest) named.add(deepest);
  }
  if (named.size === 0) return null;
  const shown = [...named].slice(0, MAX_NAMED).map(describe);
  const more = named.size > MAX_NAMED ? ` (and ${named.size - MAX_NAMED} more)` : '';
  return `policy fs rules: ${shown.join('; ')}${more}`;
}
