/**
 * Ids the SQLite store hands out: pids (kept in the `next_pid` meta row, so a pid is never handed
 * out twice, even after its rows were removed) and message ids (after the highest in flight). One
 * facet of the store (api.ts's StoreIds); one kernel owns a SQLite file, so a counter in memory is
 * the sequence.
 */
import type { StoreIds } from './api.js';
import type { SqliteStore } from './sqlite.js';

export class SqliteIds implements StoreIds {
  private pid: number;
  private messageId: number;

  constructor(private readonly store: SqliteStore) {
    const read = (sql: string): number =>
      store.query((db) => Number((db.prepare(sql).get() as { n: number | string | null } | undefined)?.n ?? 0));
    this.pid = Math.max(
      read(`SELECT value AS n FROM meta WHERE key = 'next_pid'`) - 1,
      read('SELECT MAX(pid) AS n FROM processes'),
      0,
    );
    this.messageId = read('SELECT MAX(id) AS n FROM messages');
  }

  nextPid(): number {
    const pid = ++this.pid;
    this.store.write(null, () => this.store.stmt.setMeta.run('next_pid', String(pid + 1)));
    return pid;
  }

  lastPid(): number {
    return this.pid;
  }

  nextMessageId(): number {
    return ++this.messageId;
  }
}
