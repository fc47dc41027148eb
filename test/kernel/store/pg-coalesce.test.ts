/**
 * A transaction's writes merged for PostgreSQL (kernel/store/pg/coalesce.ts): fewer statements,
 * the same rows. Pure: what each statement list would leave in the tables is compared by running
 * both on a tiny model of the tables (last write of a key wins, DELETE by pid).
 */
import { describe, expect, it } from 'vitest';
import type { PgStep } from '../../../kernel/store/pg/bridge.js';
import { coalesce } from '../../../kernel/store/pg/coalesce.js';

const T =
  'INSERT INTO transcript (pid, seq, role, text) VALUES ($1, $2, $3, $4) ON CONFLICT (pid, seq) DO UPDATE SET role = EXCLUDED.role, text = EXCLUDED.text';
const P = 'INSERT INTO processes (pid, state) VALUES ($1, $2) ON CONFLICT (pid) DO UPDATE SET state = EXCLUDED.state';
const E = 'INSERT INTO events (id, pid, json) VALUES ($1, $2, $3)';
const D = 'DELETE FROM transcript WHERE pid = $1';
const t = (pid: number, seq: number, text: string): PgStep => ({ sql: T, params: [pid, seq, 'model', text] });
const p = (pid: number, state: string): PgStep => ({ sql: P, params: [pid, state] });
const e = (id: number): PgStep => ({ sql: E, params: [id, 1, '{}'] });

/** What the statements leave: rows per table by key, applied in order (a multi-row INSERT row by row, refusing a key twice when it upserts). */
function apply(steps: readonly PgStep[]): Record<string, Record<string, unknown[]>> {
  const tables: Record<string, Record<string, unknown[]>> = {};
  for (const step of steps) {
    const del = /^DELETE FROM (\w+) WHERE pid = \$1$/.exec(step.sql);
    if (del) {
      const rows = (tables[del[1] as string] ??= {});
      for (const [k, row] of Object.entries(rows)) if (row[0] === step.params?.[0]) delete rows[k];
      continue;
    }
    const ins = /^INSERT INTO (\w+) \(([^)]*)\) VALUES (.*?)( ON CONFLICT \(([^)]*)\).*)?$/.exec(step.sql);
    if (!ins) throw new Error(`not modelled: ${step.sql}`);
    const columns = (ins[2] as string).split(', ');
    const key = ins[5] ? (ins[5] as string).split(', ').map((c) => columns.indexOf(c)) : [0];
    const rows = (tables[ins[1] as string] ??= {});
    const params = step.params as unknown[];
    const seen = new Set<string>();
    for (let at = 0; at < params.length; at += columns.length) {
      const row = params.slice(at, at + columns.length);
      const k = JSON.stringify(key.map((i) => row[i]));
      if (ins[4] && seen.has(k)) throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
      if (!ins[4] && k in rows) throw new Error('duplicate key');
      seen.add(k);
      rows[k] = row;
    }
  }
  return tables;
}

describe('coalesce', () => {
  it("merges each table's runs of one INSERT, across other tables' writes: fewer statements, the same rows", () => {
    const steps: PgStep[] = [];
    for (let turn = 0; turn < 50; turn++)
      for (let pid = 1; pid <= 4; pid++)
        steps.push(
          t(pid, turn * 2, `q${turn}`),
          t(pid, turn * 2 + 1, `a${turn}`),
          p(pid, turn % 2 ? 'ready' : 'running'),
          e(turn * 4 + pid),
        );
    const out = coalesce(steps);
    expect(out).toHaveLength(3);
    expect(apply(out)).toEqual(apply(steps));
  });

  it('keeps the last of the writes of one row that replace it whole, and cuts a run before a key it has when they do not', () => {
    const steps = [p(1, 'ready'), p(2, 'ready'), p(1, 'running'), p(3, 'ready'), p(1, 'exited')];
    const out = coalesce(steps);
    expect(out).toHaveLength(1);
    expect(apply(out)).toEqual(apply(steps));
    expect(apply(out).processes?.['[1]']).toEqual([1, 'exited']);
    // Not every column replaced: the statements stay in order, one write of a key each.
    const partial =
      'INSERT INTO processes (pid, state, ended) VALUES ($1, $2, $3) ON CONFLICT (pid) DO UPDATE SET state = EXCLUDED.state';
    const q = (pid: number, state: string): PgStep => ({ sql: partial, params: [pid, state, null] });
    const kept = coalesce([q(1, 'ready'), q(2, 'ready'), q(1, 'running'), q(3, 'ready'), q(1, 'exited')]);
    expect(kept.map((s) => (s.params as unknown[]).length / 3)).toEqual([2, 2, 1]);
  });

  it("keeps a table's DELETE between its writes, and any statement that reads where it was", () => {
    const read: PgStep = {
      sql: 'INSERT INTO events_fts (id, body) SELECT id, json FROM events_read WHERE id > $1',
      params: [0],
    };
    const steps = [t(1, 0, 'x'), t(1, 1, 'y'), { sql: D, params: [1] }, t(1, 0, 'z'), e(1), read, e(2), e(3)];
    const out = coalesce(steps);
    expect(out.map((s) => s.sql.slice(0, 24))).toEqual([
      'INSERT INTO transcript (',
      'DELETE FROM transcript W',
      'INSERT INTO transcript (',
      'INSERT INTO events (id, ',
      'INSERT INTO events_fts (',
      'INSERT INTO events (id, ',
    ]);
    expect(out.at(-1)?.params).toEqual([2, 1, '{}', 3, 1, '{}']);
    expect(apply(out.filter((s) => s !== read))).toEqual(apply(steps.filter((s) => s !== read)));
  });

  it('leaves alone what it cannot merge as is: a parameter after VALUES, values that are not $1…$n, DO NOTHING with no key, a checked step', () => {
    const odd: PgStep[] = [
      {
        sql: 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2',
        params: ['a', '1'],
      },
      {
        sql: 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2',
        params: ['b', '2'],
      },
      {
        sql: "INSERT INTO thread_entries (key, text, tsv) VALUES ($1, $2, to_tsvector('simple', $3))",
        params: ['k', 'x', 'x'],
      },
      {
        sql: "INSERT INTO thread_entries (key, text, tsv) VALUES ($1, $2, to_tsvector('simple', $3))",
        params: ['k', 'y', 'y'],
      },
      { sql: 'INSERT INTO keys (k) VALUES ($1) ON CONFLICT DO NOTHING', params: ['a'] },
      { sql: 'INSERT INTO keys (k) VALUES ($1) ON CONFLICT DO NOTHING', params: ['b'] },
      {
        sql: 'UPDATE processes SET state = $1 WHERE pid = $2',
        params: ['x', 1],
        mustTouch: { code: 'E', message: 'm' },
      },
    ];
    expect(coalesce(odd)).toEqual(odd);
  });

  it('keeps a statement under the parameter limit', () => {
    const steps = Array.from({ length: 20_000 }, (_, i) => e(i));
    const out = coalesce(steps);
    expect(out.length).toBeGreaterThan(1);
    expect(Math.max(...out.map((s) => (s.params as unknown[]).length))).toBeLessThanOrEqual(30_000);
    expect(out.flatMap((s) => s.params)).toEqual(steps.flatMap((s) => s.params));
  });
});
