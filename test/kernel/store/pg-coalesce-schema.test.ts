/**
 * coalesce.ts moves a transaction's writes to different tables next to their own table's: right
 * only while writes to one table cannot change or need another's. This holds the store's schema on
 * PostgreSQL to that: no trigger, no rule, and no foreign key but events_fts → events (written by
 * statements that read, which keep their place). Adding one means teaching coalesce.ts about it.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PG_SKIP, postgresPerFile } from '../cluster/pg-fixture.js';
import { clusterScratch, kernelNode, runClosers } from '../cluster/kernel-node.js';

const pgServer = postgresPerFile();
const closers: Array<() => Promise<void>> = [];
afterEach(() => runClosers(closers));

describe.skipIf(PG_SKIP)("the PostgreSQL store's schema, as coalesce.ts counts on it", () => {
  it('has no trigger or rule, and no foreign key but events_fts → events', async () => {
    const { url, dir } = await clusterScratch(pgServer.server, closers, 'pg-schema');
    await kernelNode('a', url, dir, closers);
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    closers.push(() => sql.end());
    const schema = 'aos/a';
    const keys = await sql.query<{ table: string; refers: string }>(
      `SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS refers FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = $1`,
      [schema],
    );
    expect(keys.rows.map((r) => `${r.table} -> ${r.refers}`)).toEqual(['"aos/a".events_fts -> "aos/a".events']);
    const triggers = await sql.query(
      `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = $1`,
      [schema],
    );
    expect(triggers.rows).toEqual([]);
    const rules = await sql.query(`SELECT rulename FROM pg_rules WHERE schemaname = $1`, [schema]);
    expect(rules.rows).toEqual([]);
  }, 60_000);
});
