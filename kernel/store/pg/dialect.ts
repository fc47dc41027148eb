/**
 * The store's SQL, written for SQLite, as PostgreSQL runs it. Each statement is translated once
 * (the connection caches it) by rules that cover the SQLite forms the store uses — placeholders,
 * INSERT OR REPLACE / IGNORE, json_extract, two-argument MAX, a derived table without a name, the
 * column named `window` — and a short table of statements that have no mechanical translation
 * (full-text search, json_each, a JSON edit). A statement neither covers runs as written: a form
 * the rules miss fails loudly in PostgreSQL, and test/kernel/store/pg-dialect.test.ts runs every
 * statement the store makes against a real server. The schema is translated in pg-schema.ts.
 */
import type { SqlDb, SqlRunResult } from '../sql.js';

/** A statement as PostgreSQL runs it: `$n` placeholders, and how to bind better-sqlite3's arguments to them. */
export interface PgStatementText {
  sql: string;
  /** The names of `@name` parameters by position (empty: positional `?`). */
  names: string[];
  /** Rewrites the bound values (an FTS5 match as a tsquery), when the translation needs it. */
  mapParams?: (values: unknown[]) => unknown[];
  /** A write no one statement does (its rows read, made in JS, written back): run instead of `sql`. */
  custom?: (db: SqlDb, values: unknown[]) => SqlRunResult;
}

/** Primary keys of the tables written with INSERT OR REPLACE (its conflict target in PostgreSQL). */
const PRIMARY_KEYS: Record<string, string[]> = {
  meta: ['key'],
  transcript: ['pid', 'seq'],
  messages: ['id'],
  timers: ['pid', 'id'],
  webhooks: ['id'],
  turn_results: ['pid', 'seq'],
  channels: ['name'],
  channel_bindings: ['id'],
  channel_senders: ['channel', 'sender'],
  channel_pairings: ['code'],
  channel_approver_sets: ['id'],
  idempotency: ['scope', 'key'],
  budget_spend: ['budget', 'key', 'window'],
  units: ['name'],
  threads: ['key'],
  thread_links: ['pid', 'key', 'how'],
};

/** At most this much of a row's words is indexed (a tsvector holds 1 MB; a 5 MB fetch result must not stop the index). */
const FTS_MAX_CHARS = 200_000;

/**
 * What a full-text index holds of a text: its runs of letters and digits, lower case, made here
 * rather than by the database (whose classes and lower() follow its locale: under C, 'München'
 * would be 'm' and 'nchen'). FTS5's unicode61 splits the same way; the query side (ftsToTsquery) too.
 */
export function ftsWords(text: unknown): string {
  if (typeof text !== 'string') return '';
  const words =
    text
      .slice(0, 4 * FTS_MAX_CHARS)
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  let out = words.join(' ');
  if (out.length > FTS_MAX_CHARS) out = out.slice(0, out.lastIndexOf(' ', FTS_MAX_CHARS));
  return out;
}

/**
 * An FTS5 match as the store makes it (event-search.ts toMatch: each word quoted, all required,
 * the last a prefix) as a tsquery: a quoted word's tokens as a phrase, words joined by &, the last
 * token a prefix. Null (no token at all) matches nothing.
 */
export function ftsToTsquery(match: unknown): string | null {
  if (typeof match !== 'string') return null;
  const words: string[] = [];
  const quoted = /"((?:[^"]|"")*)"(\*?)/g;
  let found = false;
  for (let m = quoted.exec(match); m; m = quoted.exec(match)) {
    found = true;
    const tokens =
      (m[1] ?? '')
        .replaceAll('""', '"')
        .toLowerCase()
        .match(/[\p{L}\p{N}]+/gu) ?? [];
    if (tokens.length === 0) continue;
    const last = tokens.length - 1;
    words.push(tokens.map((t, i) => `'${t}'${i === last && m?.[2] === '*' ? ':*' : ''}`).join(' <-> '));
  }
  if (!found) {
    // Bare words (a thread search's own match text): each required.
    const tokens = match.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    words.push(...tokens.map((t) => `'${t}'`));
  }
  return words.length ? words.join(' & ') : null;
}

const tsq =
  (index: number) =>
  (values: unknown[]): unknown[] =>
    values.map((v, i) => (i === index ? ftsToTsquery(v) : v));

/** Events not indexed yet (after the first value, at most the second), indexed with their words made in JS. */
function indexEvents(db: SqlDb, values: unknown[]): SqlRunResult {
  const rows = db
    .prepare('SELECT id, json FROM events_read WHERE id > ? ORDER BY id LIMIT ?')
    .all(values[0], values[1]) as Array<{ id: number; json: string }>;
  if (rows.length > 0) {
    const batch = JSON.stringify(rows.map((r) => ({ id: r.id, body: ftsWords(r.json) })));
    db.prepare(
      "INSERT INTO events_fts (id, body) SELECT id, to_tsvector('simple', body) FROM json_to_recordset(?::json) AS r(id bigint, body text)",
    ).run(batch);
  }
  return { changes: rows.length };
}

const ENTRY = 'e.key, e.seq, e.ts, e.pid, e.unit, e.kind, e.text';

/** Statements with no mechanical translation, by their text with whitespace collapsed. */
const OVERRIDES: Record<string, Omit<PgStatementText, 'names'> & { names?: string[] }> = {
  // As text, not through json: a runtime may hold escapes (\u0000) PostgreSQL's json refuses to extract. A key given twice reads as its last.
  "UPDATE processes SET runtime = json_set(runtime, '$.reapedByParent', 1) WHERE pid = ?": {
    sql: `UPDATE processes SET runtime = CASE WHEN btrim(runtime) = '{}' THEN '{"reapedByParent":1}' ELSE left(rtrim(runtime), -1) || ',"reapedByParent":1}' END WHERE pid = $1`,
  },
  "SELECT pid, ppid FROM processes WHERE state IN ('exited', 'killed') AND json_extract(runtime, '$.reapedByParent') IS NOT 1 AND ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid":
    {
      sql: `SELECT pid, ppid FROM processes WHERE state IN ('exited', 'killed') AND aos_json_text(runtime, '{reapedByParent}') IS DISTINCT FROM '1'
        AND ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid`,
    },
  'SELECT rowid AS id FROM events_fts ORDER BY rowid DESC LIMIT 1': {
    sql: 'SELECT id FROM events_fts ORDER BY id DESC LIMIT 1',
  },
  'INSERT INTO events_fts (rowid, body) SELECT id, json FROM events_read WHERE id > ? ORDER BY id LIMIT ?': {
    sql: '-- indexEvents',
    custom: indexEvents,
  },
  'INSERT INTO thread_entries (key, seq, ts, pid, unit, kind, text) VALUES (@key, @seq, @ts, @pid, @unit, @kind, @text)':
    {
      sql: "INSERT INTO thread_entries (key, seq, ts, pid, unit, kind, text, tsv) VALUES ($1, $2, $3, $4, $5, $6, $7, to_tsvector('simple', $8))",
      names: ['key', 'seq', 'ts', 'pid', 'unit', 'kind', 'text'],
      mapParams: (values) => [...values, ftsWords(values[6])],
    },
  'SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.rowid WHERE events_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC LIMIT ?':
    {
      sql: `SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.id
      WHERE f.body @@ to_tsquery('simple', $1) AND f.id < $2 ORDER BY f.id DESC LIMIT $3`,
      mapParams: tsq(0),
    },
  'SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.rowid WHERE events_fts MATCH ? AND f.rowid < ? AND e.pid = ? ORDER BY f.rowid DESC LIMIT ?':
    {
      sql: `SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.id
      WHERE f.body @@ to_tsquery('simple', $1) AND f.id < $2 AND e.pid = $3 ORDER BY f.id DESC LIMIT $4`,
      mapParams: tsq(0),
    },
  "SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.rowid WHERE events_fts MATCH ? AND e.pid IN (SELECT value FROM json_each(?)) AND json_extract(e.json, '$.type') IN (SELECT value FROM json_each(?)) AND json_extract(e.json, '$.ts') >= ? ORDER BY f.rowid DESC LIMIT ?":
    {
      sql: `SELECT e.id AS id, e.json AS json FROM events_fts f JOIN events_read e ON e.id = f.id
        WHERE f.body @@ to_tsquery('simple', $1) AND e.pid IN (SELECT value::bigint FROM json_array_elements_text($2::json) AS v(value))
        AND aos_json_text(e.json, '{type}') IN (SELECT value FROM json_array_elements_text($3::json) AS v(value)) AND aos_json_text(e.json, '{ts}') >= $4
        ORDER BY f.id DESC LIMIT $5`,
      mapParams: tsq(0),
    },
  "SELECT e.id AS id, e.pid AS pid, json_extract(e.json, '$.ts') AS ts, p.model AS model, COALESCE(json_extract(e.json, '$.usage.prompt'), 0) AS prompt, COALESCE(json_extract(e.json, '$.usage.output'), 0) AS output, COALESCE(json_extract(e.json, '$.usage.cached'), 0) AS cached FROM (SELECT id, pid, json FROM events ORDER BY id DESC LIMIT ?) e JOIN processes p ON p.pid = e.pid WHERE substr(e.json, 1, 80) LIKE '%\"type\":\"model\"%' ORDER BY e.id":
    {
      sql: `SELECT e.id AS id, e.pid AS pid, aos_json_text(e.json, '{ts}') AS ts, p.model AS model,
        COALESCE(aos_json_text(e.json, '{usage,prompt}')::double precision, 0) AS prompt, COALESCE(aos_json_text(e.json, '{usage,output}')::double precision, 0) AS output,
        COALESCE(aos_json_text(e.json, '{usage,cached}')::double precision, 0) AS cached
        FROM (SELECT id, pid, json FROM events ORDER BY id DESC LIMIT $1) e JOIN processes p ON p.pid = e.pid
        WHERE substr(e.json, 1, 80) LIKE '%"type":"model"%' ORDER BY e.id`,
    },
  'SELECT e.key, e.seq, e.ts, e.pid, e.unit, e.kind, e.text FROM thread_fts f JOIN thread_entries e ON e.id = f.rowid WHERE thread_fts MATCH ? AND e.key = ? AND e.seq > ? AND e.ts >= ? ORDER BY e.seq DESC LIMIT ?':
    {
      sql: `SELECT ${ENTRY} FROM thread_entries e WHERE e.tsv @@ to_tsquery('simple', $1) AND e.key = $2 AND e.seq > $3 AND e.ts >= $4 ORDER BY e.seq DESC LIMIT $5`,
      mapParams: tsq(0),
    },
  'SELECT e.key, e.seq, e.ts, e.pid, e.unit, e.kind, e.text FROM thread_fts f JOIN thread_entries e ON e.id = f.rowid WHERE thread_fts MATCH ? AND e.key IN (SELECT value FROM json_each(?)) AND e.ts >= ? ORDER BY e.id DESC LIMIT ?':
    {
      sql: `SELECT ${ENTRY} FROM thread_entries e WHERE e.tsv @@ to_tsquery('simple', $1)
      AND e.key IN (SELECT value FROM json_array_elements_text($2::json) AS v(value)) AND e.ts >= $3 ORDER BY e.id DESC LIMIT $4`,
      mapParams: tsq(0),
    },
  'SELECT key, pid, how FROM thread_links WHERE pid IN (SELECT value FROM json_each(?)) ORDER BY pid, key, how': {
    sql: 'SELECT key, pid, how FROM thread_links WHERE pid IN (SELECT value::bigint FROM json_array_elements_text($1::json) AS v(value)) ORDER BY pid, key, how',
  },
};

const collapse = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/** `?` and `@name` as `$n`, string literals and quoted names left alone. */
function placeholders(sql: string): { sql: string; names: string[] } {
  const names: string[] = [];
  const index = new Map<string, number>();
  let n = 0;
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === '?') {
      out += `$${++n}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0] as string;
      let at = index.get(name);
      if (at === undefined) {
        names.push(name);
        index.set(name, (at = names.length));
      }
      out += `$${at}`;
      i += name.length;
    } else out += c;
  }
  return { sql: out, names };
}

function upsert(sql: string): string {
  const replace = /^INSERT OR REPLACE INTO (\w+) \(([^)]*)\)/i.exec(sql);
  if (replace) {
    const table = replace[1] as string;
    const keys = PRIMARY_KEYS[table];
    if (!keys) throw new Error(`no primary key known for ${table} (kernel/store/pg/dialect.ts PRIMARY_KEYS)`);
    const columns = (replace[2] as string).split(',').map((c) => c.trim());
    const rest = columns.filter((c) => !keys.includes(c));
    const head = sql.replace(/^INSERT OR REPLACE INTO/i, 'INSERT INTO');
    const conflict = keys.map(quoteName).join(', ');
    return rest.length === 0
      ? `${head} ON CONFLICT (${conflict}) DO NOTHING`
      : `${head} ON CONFLICT (${conflict}) DO UPDATE SET ${rest.map((c) => `${quoteName(c)} = EXCLUDED.${quoteName(c)}`).join(', ')}`;
  }
  if (/^INSERT OR IGNORE INTO/i.test(sql))
    return `${sql.replace(/^INSERT OR IGNORE INTO/i, 'INSERT INTO')} ON CONFLICT DO NOTHING`;
  return sql;
}

/** Names PostgreSQL reserves that the store uses as columns. */
const quoteName = (name: string): string => (name === 'window' ? '"window"' : name);

function rules(sql: string): string {
  let out = upsert(sql);
  // json_extract(x, '$.a.b') as text.
  out = out.replace(
    /json_extract\(([\w.]+), '\$\.([\w.]+)'\)/g,
    (_m, x: string, path: string) => `aos_json_text(${x}, '{${path.split('.').join(',')}}')`,
  );
  // SQLite's scalar MAX(a, b).
  out = out.replace(/\bMAX\((\w+), (\?|\w+)\)/g, 'GREATEST($1, $2)');
  // A derived table needs a name.
  out = out.replace(/^SELECT \* FROM \((SELECT .*)\) ORDER BY id$/, 'SELECT * FROM ($1) AS sub ORDER BY id');
  // The reserved word as a column, where the upsert above has not quoted it already.
  out = out.replace(/(?<![@"])\bwindow\b(?!")/g, '"window"');
  return out;
}

const cache = new Map<string, PgStatementText>();

/** A statement of the store's (SQLite's SQL) as PostgreSQL runs it. */
export function toPostgres(sqliteSql: string): PgStatementText {
  const hit = cache.get(sqliteSql);
  if (hit) return hit;
  const text = collapse(sqliteSql);
  const override = OVERRIDES[text];
  const translated: PgStatementText = override
    ? { ...override, names: override.names ?? [] }
    : placeholders(rules(text));
  cache.set(sqliteSql, translated);
  return translated;
}
