/** Texts as the PostgreSQL store keeps them, and as they read back (pg-db.ts; other nodes' rows read by kernel/cluster too). */
/**
 * PostgreSQL's text cannot hold U+0000 (SQLite's can, and a model may write one): it is stored as
 * U+E000 '0', and a U+E000 of the text as U+E000 U+E000, so that every text reads back exactly as
 * written (an audit row still hashes as it did, two keys stay two keys).
 */
const MARK = '\uE000';
export function escapeText(v: string): string {
  if (!v.includes('\u0000') && !v.includes(MARK)) return v;
  return v.replaceAll(MARK, MARK + MARK).replaceAll('\u0000', `${MARK}0`);
}
export function unescapeText(v: string): string {
  return v.includes(MARK) ? v.replace(/\uE000([\uE0000])/g, (_m, c: string) => (c === '0' ? '\u0000' : MARK)) : v;
}
/** A row as read: its texts as they were written. */
export function unescapeRow(row: unknown): unknown {
  if (Array.isArray(row)) return row.map((v) => (typeof v === 'string' ? unescapeText(v) : v));
  if (row === null || typeof row !== 'object') return row;
  const out = row as Record<string, unknown>;
  for (const k in out) {
    const v = out[k];
    if (typeof v !== 'string') continue;
    const text = unescapeText(v);
    // An event's JSON with a transcript text put back (events_read): a NUL there is that text's, as JSON writes it.
    out[k] = k === 'json' && text.includes('\u0000') ? text.replaceAll('\u0000', '\\u0000') : text;
  }
  return out;
}
