/**
 * The store's row writes: each queues one statement for the next group commit (store.ts), charged
 * to the process it belongs to, so a write that fails is blamed on that process alone.
 */
import { type MessageRecord, type TimerRecord, type WebhookRecord } from './records.js';
import { StoreReads } from './store-reads.js';

export abstract class StoreRows extends StoreReads {
  /** Queue a write for the next commit; `pid` is who it belongs to (null: the kernel's own). */
  protected abstract enqueue(pid: number | null, run: () => void): void;

  addMessage(m: MessageRecord): void {
    this.enqueue(m.to_pid, () => this.stmt.addMessage.run(m.id, m.to_pid, m.channel, m.from_pid, m.content, m.ts));
  }

  deleteMessages(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.enqueue(null, () => {
      for (const id of ids) this.stmt.delMessage.run(id);
    });
  }

  putTimer(t: TimerRecord): void {
    this.enqueue(t.pid, () => this.stmt.putTimer.run(t.pid, t.id, t.fire_at, t.interval_ms, t.prompt));
  }

  deleteTimer(pid: number, id: string): void {
    this.enqueue(pid, () => this.stmt.delTimer.run(pid, id));
  }

  deleteTimers(pid: number): void {
    this.enqueue(pid, () => this.stmt.delTimers.run(pid));
  }

  putWebhook(w: WebhookRecord): void {
    this.enqueue(w.pid, () => this.stmt.putWebhook.run(w.id, w.token, w.pid, w.path, w.created_at));
  }

  setMeta(key: string, value: string | number): void {
    this.enqueue(null, () => this.stmt.setMeta.run(key, String(value)));
  }

  /** The result line of call `seq` of a process's pending turn. */
  putTurnResult(pid: number, seq: number, line: string): void {
    this.enqueue(pid, () => this.stmt.putTurnResult.run(pid, seq, line));
  }

  clearTurnResults(pid: number): void {
    this.enqueue(pid, () => this.stmt.clearTurnResults.run(pid));
  }

  /** A parent's WAIT took this child's exit (kept in its runtime, so a restart does not report it again). */
  markReaped(pid: number): void {
    this.enqueue(pid, () => this.stmt.markReaped.run(pid));
  }

  /** Delete every row of these (ended) processes. */
  removeProcesses(pids: readonly number[]): void {
    if (pids.length === 0) return;
    this.enqueue(null, () => {
      for (const pid of pids) for (const statement of this.stmt.removeProcess) statement.run(pid);
    });
  }
}
