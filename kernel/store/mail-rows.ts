/**
 * What is in flight between processes, in SQLite: messages and stdin not yet taken, timers, webhook
 * routes; mirrored here so a restart loses none of it. One facet of the store (api.ts's MailRows).
 */
import type { MailRows } from './api.js';
import type { MessageRecord, TimerRecord, WebhookRecord } from './records.js';
import type { SqliteStore } from './sqlite.js';

export class SqliteMail implements MailRows {
  constructor(private readonly store: SqliteStore) {}

  private get stmt() {
    return this.store.stmt;
  }

  addMessage(m: MessageRecord): void {
    this.store.write(m.to_pid, () => this.stmt.addMessage.run(m.id, m.to_pid, m.channel, m.from_pid, m.content, m.ts));
  }

  deleteMessages(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.store.write(null, () => {
      for (const id of ids) this.stmt.delMessage.run(id);
    });
  }

  async messages(): Promise<MessageRecord[]> {
    return this.store.query((db) => db.prepare('SELECT * FROM messages ORDER BY id').all() as MessageRecord[]);
  }

  putTimer(t: TimerRecord): void {
    this.store.write(t.pid, () =>
      this.stmt.putTimer.run(t.pid, t.id, t.fire_at, t.interval_ms, t.prompt, t.taint ?? null),
    );
  }

  deleteTimer(pid: number, id: string): void {
    this.store.write(pid, () => this.stmt.delTimer.run(pid, id));
  }

  deleteTimers(pid: number): void {
    this.store.write(pid, () => this.stmt.delTimers.run(pid));
  }

  async timers(): Promise<TimerRecord[]> {
    return this.store.query((db) => db.prepare('SELECT * FROM timers').all() as TimerRecord[]);
  }

  putWebhook(w: WebhookRecord): void {
    this.store.write(w.pid, () => this.stmt.putWebhook.run(w.id, w.token, w.pid, w.path, w.created_at));
  }

  async webhooks(): Promise<WebhookRecord[]> {
    return this.store.query((db) => db.prepare('SELECT * FROM webhooks ORDER BY id').all() as WebhookRecord[]);
  }
}
