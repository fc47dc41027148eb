/**
 * A transaction's queued writes in fewer statements. The bridge's `pg` client sends one statement
 * per round trip to the server, so a group commit of a round of turns (a transcript row per
 * message, a process row per process: ~2 statements a turn) cost the node a round trip each —
 * nothing on a unix socket, most of its time with the database a few milliseconds away
 * (`npm run bench -- cluster-latency`). The rows are the same, in the same transaction:
 *
 * - Writes to different tables are independent here (no trigger; the one foreign key, events_fts →
 *   events, is written only by statements that read, which keep their place): each table's writes
 *   keep their order among themselves, and go together. A statement of another shape (one that
 *   reads — `SELECT`, a subquery —, a sequence, DDL) keeps its place among all of them.
 * - Runs of one single-row `INSERT … VALUES ($1, …, $n)` on a table become multi-row INSERTs. With
 *   `ON CONFLICT (key) DO …` one statement may not touch a row twice: a row whose key the run has
 *   already takes the earlier one's place when it replaces it whole (`DO UPDATE SET` every other
 *   column `= EXCLUDED`: the store's INSERT OR REPLACE, where the last write is what stays), and
 *   otherwise starts the next statement. `ON CONFLICT DO NOTHING` with no key is not merged.
 */
import type { PgStep } from './bridge.js';

/** The most parameters a merged statement carries (PostgreSQL takes 65,535). */
const MAX_PARAMS = 30_000;

interface Insert {
  head: string;
  /** `ON CONFLICT …` and what follows, or ''. */
  tail: string;
  width: number;
  /** Positions of the conflict key among the columns; null: no ON CONFLICT. */
  key: number[] | null;
  /** `DO UPDATE SET` every other column to its EXCLUDED value (INSERT OR REPLACE): of two rows of one key, the last is the one that stays. */
  replaces: boolean;
}

const INSERT = /^INSERT INTO ("[^"]+"|[\w.]+) \(([^()]*)\) VALUES \((\$\d+(?:, ?\$\d+)*)\)(?: (ON CONFLICT[\s\S]*))?$/;
const TABLE_WRITE = /^(?:INSERT INTO|DELETE FROM|UPDATE) ("[^"]+"|[\w.]+)[\s(]/;

function tableOf(step: PgStep): string | null {
  if (step.mustTouch || step.array) return null;
  const sql = step.sql.trim();
  if (/\bSELECT\b|\bnextval\b|\bcurrval\b|\bsetval\b|\bRETURNING\b/i.test(sql)) return null;
  return TABLE_WRITE.exec(sql)?.[1] ?? null;
}

function insertOf(step: PgStep): Insert | null {
  const m = INSERT.exec(step.sql.trim());
  if (!m) return null;
  const columns = (m[2] as string).split(',').map((c) => c.trim());
  const params = (m[3] as string).split(',').map((p) => Number(p.trim().slice(1)));
  // The values must be $1 … $n in order, one per column: the rows are then the params as they are.
  if (
    params.length !== columns.length ||
    params.some((p, i) => p !== i + 1) ||
    (step.params?.length ?? 0) !== params.length
  )
    return null;
  const tail = m[4] ?? '';
  // A parameter in the tail would name the first row's value only, once merged.
  if (/\$\d/.test(tail)) return null;
  let key: number[] | null = null;
  let replaces = false;
  if (tail) {
    const target = /^ON CONFLICT \(([^()]*)\)(?: DO UPDATE SET (.*))?/.exec(tail);
    if (!target) return null;
    key = (target[1] as string).split(',').map((c) => columns.indexOf(c.trim()));
    if (key.some((i) => i < 0)) return null;
    const set = target[2]?.split(', ').map((a) => /^(\S+) = EXCLUDED\.(\S+)$/.exec(a));
    const rest = columns.filter((_, i) => !key?.includes(i));
    replaces =
      set !== undefined &&
      set.length === rest.length &&
      set.every((a, i) => a !== null && a[1] === a[2] && a[1] === rest[i]) &&
      target[0].length === tail.length;
  }
  return {
    head: `INSERT INTO ${m[1]} (${m[2]}) VALUES `,
    tail: tail ? ` ${tail}` : '',
    width: columns.length,
    key,
    replaces,
  };
}

/** One run of the same INSERT as statements of many rows each. */
function merged(run: PgStep[], shape: Insert): PgStep[] {
  if (run.length === 1) return run;
  const out: PgStep[] = [];
  let rows: unknown[][] = [];
  /** Each key's row in `rows`. */
  let keys = new Map<string, number>();
  const emit = (): void => {
    if (rows.length === 0) return;
    let n = 0;
    const values = rows.map((r) => `(${r.map(() => `$${++n}`).join(', ')})`).join(', ');
    out.push({ sql: `${shape.head}${values}${shape.tail}`, params: rows.flat() });
    rows = [];
    keys = new Map();
  };
  for (const step of run) {
    const params = step.params as unknown[];
    const key = shape.key ? JSON.stringify(shape.key.map((i) => params[i])) : null;
    const earlier = key === null ? undefined : keys.get(key);
    // A row that replaces a whole earlier one of its key takes its place; any other second write of a key goes in the next statement.
    if (earlier !== undefined && shape.replaces) {
      rows[earlier] = params;
      continue;
    }
    if (earlier !== undefined || (rows.length + 1) * shape.width > MAX_PARAMS) emit();
    if (key !== null) keys.set(key, rows.length);
    rows.push(params);
  }
  emit();
  return out;
}

/** One table's writes, in their order, runs of one INSERT merged. */
function mergeRuns(steps: PgStep[]): PgStep[] {
  const out: PgStep[] = [];
  for (let i = 0; i < steps.length;) {
    const shape = insertOf(steps[i] as PgStep);
    let j = i + 1;
    if (shape) while (j < steps.length && (steps[j] as PgStep).sql === (steps[i] as PgStep).sql) j++;
    out.push(...(shape ? merged(steps.slice(i, j), shape) : steps.slice(i, j)));
    i = j;
  }
  return out;
}

/** The same writes, in fewer statements (see above). */
export function coalesce(steps: readonly PgStep[]): PgStep[] {
  if (steps.length < 2) return [...steps];
  const out: PgStep[] = [];
  let tables = new Map<string, PgStep[]>();
  const flush = (): void => {
    for (const writes of tables.values()) out.push(...mergeRuns(writes));
    tables = new Map();
  };
  for (const step of steps) {
    const table = tableOf(step);
    if (table === null) {
      flush();
      out.push(step);
      continue;
    }
    const writes = tables.get(table);
    if (writes) writes.push(step);
    else tables.set(table, [step]);
  }
  flush();
  return out;
}
