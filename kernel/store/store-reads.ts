/**
 * The store's reads. They see committed data: a caller that needs what it just queued flushes
 * first. Store (store.ts) adds the queued, group-committed writes.
 */
import type Database from 'better-sqlite3';
import type { KernelEvent } from '../../protocol/events.js';
import { PS_COLUMNS, type PsColumns } from './ps-rows.js';
import { type MessageRecord, type ProcessRecord, type ProcessSummary, type Statements, type StoredEvent, SUMMARY_COLUMNS, type TimerRecord, type WebhookRecord } from './records.js';

export abstract class StoreReads {
  protected abstract readonly db: Database.Database;
  protected abstract readonly stmt: Statements;
  /** Events queued but not yet committed (resultEvent looks there first). */
  protected abstract queuedEvents: StoredEvent[];

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Processes that had not ended. */
  loadLive(): ProcessRecord[] {
    return this.db.prepare(`SELECT * FROM processes WHERE state NOT IN ('exited', 'killed') ORDER BY pid`).all() as ProcessRecord[];
  }

  /** Ended children of live processes that their parent has not reaped with WAIT yet. */
  unreapedChildren(): Array<{ pid: number; ppid: number }> {
    return this.db
      .prepare(
        `SELECT pid, ppid FROM processes WHERE state IN ('exited', 'killed') AND json_extract(runtime, '$.reapedByParent') IS NOT 1
         AND ppid IN (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')) ORDER BY pid`,
      )
      .all() as Array<{ pid: number; ppid: number }>;
  }

  loadProcess(pid: number): ProcessRecord | undefined {
    return this.db.prepare('SELECT * FROM processes WHERE pid = ?').get(pid) as ProcessRecord | undefined;
  }

  /** A process and all its descendants (the ppid index; one query, not a table scan). */
  subtreePids(pid: number): number[] {
    const rows = this.db
      .prepare('WITH RECURSIVE t(pid) AS (SELECT pid FROM processes WHERE pid = ? UNION SELECT p.pid FROM processes p JOIN t ON p.ppid = t.pid) SELECT pid FROM t ORDER BY pid')
      .all(pid) as Array<{ pid: number }>;
    return rows.map((r) => r.pid);
  }

  /** Stored processes (every one, or the `last` N created), only the columns a `ps` row shows, in pid order. */
  psColumns(last?: number): PsColumns[] {
    if (last === undefined) return this.db.prepare(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid`).all() as PsColumns[];
    return (this.db.prepare(`SELECT ${PS_COLUMNS} FROM processes ORDER BY pid DESC LIMIT ?`).all(last) as PsColumns[]).reverse();
  }

  /**
   * Ended processes that ended before `ts` (ms) and that nothing live needs: not an ancestor of a
   * live process, not an exit a live parent may still WAIT for. Oldest first.
   */
  prunable(ts: number, limit: number): ProcessSummary[] {
    return this.db
      .prepare(
        `WITH RECURSIVE live(pid) AS (SELECT pid FROM processes WHERE state NOT IN ('exited', 'killed')),
         ancestors(pid) AS (SELECT p.ppid FROM processes p JOIN live l ON p.pid = l.pid
           UNION SELECT p.ppid FROM processes p JOIN ancestors a ON p.pid = a.pid)
         SELECT ${SUMMARY_COLUMNS} FROM processes WHERE ended_at IS NOT NULL AND ended_at < ?
           AND pid NOT IN (SELECT pid FROM ancestors) AND ppid NOT IN (SELECT pid FROM live)
         ORDER BY ended_at LIMIT ?`,
      )
      .all(ts, limit) as ProcessSummary[];
  }

  /** Stored summaries of these processes. */
  summaries(pids: readonly number[]): ProcessSummary[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    return this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM processes WHERE pid IN (${marks})`).all(...pids) as ProcessSummary[];
  }

  /** The rows of a transcript from `fromSeq` on, in order (the whole of it by default). */
  loadTranscript(pid: number, fromSeq = 0): Array<{ role: 'user' | 'model'; text: string; seq: number }> {
    return this.db.prepare('SELECT role, text, seq FROM transcript WHERE pid = ? AND seq >= ? ORDER BY seq').all(pid, fromSeq) as Array<{
      role: 'user' | 'model';
      text: string;
      seq: number;
    }>;
  }

  loadTranscriptRow(pid: number, seq: number): string | undefined {
    const row = this.db.prepare('SELECT text FROM transcript WHERE pid = ? AND seq = ?').get(pid, seq) as { text: string } | undefined;
    return row?.text;
  }

  transcriptLength(pid: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM transcript WHERE pid = ?').get(pid) as { n: number }).n;
  }

  loadTurnResults(pid: number): string[] {
    return (this.db.prepare('SELECT line FROM turn_results WHERE pid = ? ORDER BY seq').all(pid) as Array<{ line: string }>).map((r) => r.line);
  }

  /**
   * The newest `result` event of this call (the whole result, as the syscall returned it), from the
   * events still queued or the store. Only the head of each row (`{"ts":…,"type":"result","pid":P,
   * "turn":T,"seq":S,…`) is matched as text, never the large results after it; json_extract confirms.
   */
  resultEvent(pid: number, turn: number, seq: number): Extract<KernelEvent, { type: 'result' }> | undefined {
    const isIt = (e: KernelEvent): e is Extract<KernelEvent, { type: 'result' }> =>
      e.type === 'result' && e.pid === pid && e.turn === turn && e.seq === seq;
    for (let i = this.queuedEvents.length - 1; i >= 0; i--) {
      const queued = this.queuedEvents[i]?.event;
      if (queued && isIt(queued)) return queued;
    }
    const row = this.db
      .prepare(
        `SELECT json FROM events WHERE pid = ? AND substr(json, 1, 200) LIKE '%"type":"result"%' AND substr(json, 1, 200) LIKE ?
         AND substr(json, 1, 200) LIKE ? AND json_extract(json, '$.turn') = ? AND json_extract(json, '$.seq') = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(pid, `%"turn":${turn},%`, `%"seq":${seq},%`, turn, seq) as { json: string } | undefined;
    const event = row ? (JSON.parse(row.json) as KernelEvent) : undefined;
    return event && isIt(event) ? event : undefined;
  }

  loadMessages(): MessageRecord[] {
    return this.db.prepare('SELECT * FROM messages ORDER BY id').all() as MessageRecord[];
  }

  loadTimers(): TimerRecord[] {
    return this.db.prepare('SELECT * FROM timers').all() as TimerRecord[];
  }

  loadWebhooks(): WebhookRecord[] {
    return this.db.prepare('SELECT * FROM webhooks ORDER BY id').all() as WebhookRecord[];
  }

  /** Events of these pids, oldest first; `tail` keeps the newest N. */
  events(pids: readonly number[], tail?: number): KernelEvent[] {
    return this.storedEvents(pids, tail).map((e) => e.event);
  }

  /** Events of these pids with their ids, oldest first; `tail` keeps the newest N. */
  storedEvents(pids: readonly number[], tail?: number): StoredEvent[] {
    if (pids.length === 0) return [];
    const marks = pids.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT id, json FROM events_read WHERE pid IN (${marks}) ORDER BY id DESC LIMIT ?`)
      .all(...pids, tail ?? -1) as Array<{ id: number; json: string }>;
    return rows.reverse().map((r) => ({ id: r.id, json: r.json, event: JSON.parse(r.json) as KernelEvent }));
  }

  /** The newest `tail` events of every process, oldest first (`aos logs` without a pid). */
  recentEvents(tail: number): KernelEvent[] {
    const rows = this.db.prepare('SELECT json FROM events_read ORDER BY id DESC LIMIT ?').all(tail) as Array<{ json: string }>;
    return rows.reverse().map((r) => JSON.parse(r.json) as KernelEvent);
  }

  /** Count and usage of every ended process, by state (once, at start-up). */
  endedTotals(): Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }> {
    return this.db
      .prepare(
        `SELECT state, COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(output_tokens), 0) AS output,
         COALESCE(SUM(cost), 0) AS cost FROM processes WHERE state IN ('exited', 'killed') GROUP BY state`,
      )
      .all() as Array<{ state: 'exited' | 'killed'; n: number; prompt: number; output: number; cost: number }>;
  }

  maxMessageId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM messages').get() as { id: number }).id;
  }
}
