/**
 * Channels in the store (issue 34): the channels a person added, the bindings that route their
 * messages, the senders paired and the pairings waiting (each with the messages it holds), and the
 * messages in and out (what `aos channel show` and the web view show; pruned per channel). The
 * dedup of inbound messages is the idempotency table's (scope `channel:<name>`).
 */
import type { SqliteStore } from './sqlite.js';

export interface ChannelRecord {
  name: string;
  kind: string;
  /** The ChannelSpec as JSON. */
  spec: string;
  account: string | null;
  created_at: number;
}

export interface BindingRecord {
  id: string;
  channel: string;
  account: string;
  chat: string;
  sender: string;
  unit: string | null;
  pid: number | null;
  thread: string;
  created_at: number;
  /** Who may decide its processes' approvals from the chat (issue 52): sender ids as a JSON array; null: none. */
  approvers: string | null;
}

/** Approvers of a channel for a unit's runs or a rule's requests, not tied to a binding (issue 52; approver-sets.ts). */
export interface ApproverSetRecord {
  id: string;
  channel: string;
  /** Requests of a run of this unit, or of a descendant of one. */
  unit: string | null;
  /** Requests asked by this rule, as `aos approvals` shows it. */
  rule: string | null;
  /** Sender ids as a JSON array. */
  approvers: string;
  created_at: number;
}

export interface SenderRecord {
  channel: string;
  sender: string;
  name: string;
  paired_at: number;
}

export interface PairingRecord {
  code: string;
  channel: string;
  sender: string;
  sender_name: string;
  chat: string;
  created_at: number;
  expires_at: number;
  /** The inbound messages held until it is paired, as a JSON array. */
  held: string;
}

export interface ChannelMessageRecord {
  channel: string;
  direction: 'in' | 'out';
  chat: string;
  /** The aos thread it was kept in. */
  thread: string | null;
  /** The platform's own thread (a Telegram topic, a Slack thread_ts), where a reply goes. */
  platform_thread: string | null;
  message_id: string | null;
  sender: string | null;
  /** The sender's name as the platform gave it (null out). */
  sender_name: string | null;
  text: string;
  status: string;
  pid: number | null;
  at: number;
}

export const CHANNELS_SCHEMA = `
CREATE TABLE IF NOT EXISTS channels (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, account TEXT, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channel_bindings (
  id TEXT PRIMARY KEY, channel TEXT NOT NULL, account TEXT NOT NULL, chat TEXT NOT NULL, sender TEXT NOT NULL,
  unit TEXT, pid INTEGER, thread TEXT NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channel_senders (
  channel TEXT NOT NULL, sender TEXT NOT NULL, name TEXT NOT NULL, paired_at INTEGER NOT NULL, PRIMARY KEY (channel, sender)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channel_pairings (
  code TEXT PRIMARY KEY, channel TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT NOT NULL, chat TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, held TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channel_messages (
  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, direction TEXT NOT NULL, chat TEXT NOT NULL, thread TEXT, platform_thread TEXT,
  message_id TEXT, sender TEXT, sender_name TEXT, text TEXT NOT NULL, status TEXT NOT NULL, pid INTEGER, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS channel_messages_channel ON channel_messages (channel, id);
CREATE INDEX IF NOT EXISTS channel_messages_pid ON channel_messages (pid, id);
`;

/** Version 12 (issue 52): who may decide a binding's approvals from the chat. */
export const BINDING_APPROVERS_SCHEMA = `
ALTER TABLE channel_bindings ADD COLUMN approvers TEXT;
`;

/** Version 14 (issue 52): approvers of a channel named for a unit or a rule. */
export const APPROVER_SETS_SCHEMA = `
CREATE TABLE IF NOT EXISTS channel_approver_sets (
  id TEXT PRIMARY KEY, channel TEXT NOT NULL, unit TEXT, rule TEXT, approvers TEXT NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

const MESSAGE_COLUMNS =
  'channel, direction, chat, thread, platform_thread, message_id, sender, sender_name, text, status, pid, at';

export class SqliteChannels {
  private inserted = 0;

  constructor(private readonly store: SqliteStore) {}

  // Start-up (the kernel reads its state back before it serves anyone): read at once, on PostgreSQL too.
  async load(): Promise<{
    channels: ChannelRecord[];
    bindings: BindingRecord[];
    senders: SenderRecord[];
    pairings: PairingRecord[];
    approverSets: ApproverSetRecord[];
  }> {
    return this.store.query((db) => ({
      channels: db.prepare('SELECT * FROM channels ORDER BY name').all() as ChannelRecord[],
      bindings: db.prepare('SELECT * FROM channel_bindings ORDER BY created_at, id').all() as BindingRecord[],
      senders: db.prepare('SELECT * FROM channel_senders ORDER BY channel, sender').all() as SenderRecord[],
      pairings: db.prepare('SELECT * FROM channel_pairings ORDER BY created_at').all() as PairingRecord[],
      approverSets: db
        .prepare('SELECT * FROM channel_approver_sets ORDER BY created_at, id')
        .all() as ApproverSetRecord[],
    }));
  }

  putChannel(row: ChannelRecord): void {
    this.run(
      'INSERT OR REPLACE INTO channels (name, kind, spec, account, created_at) VALUES (@name, @kind, @spec, @account, @created_at)',
      row,
    );
  }

  /** A channel and everything of it: bindings, approver sets, senders, pairings, messages. */
  removeChannel(name: string): void {
    this.store.write(null, () => {
      for (const table of [
        'channel_bindings',
        'channel_approver_sets',
        'channel_senders',
        'channel_pairings',
        'channel_messages',
      ]) {
        this.store.sql.prepare(`DELETE FROM ${table} WHERE channel = ?`).run(name);
      }
      this.store.sql.prepare('DELETE FROM channels WHERE name = ?').run(name);
    });
  }

  putBinding(row: BindingRecord): void {
    this.run(
      'INSERT OR REPLACE INTO channel_bindings (id, channel, account, chat, sender, unit, pid, thread, created_at, approvers) VALUES (@id, @channel, @account, @chat, @sender, @unit, @pid, @thread, @created_at, @approvers)',
      row,
    );
  }

  removeBinding(id: string): void {
    this.run('DELETE FROM channel_bindings WHERE id = @id', { id });
  }

  putApproverSet(row: ApproverSetRecord): void {
    this.run(
      'INSERT OR REPLACE INTO channel_approver_sets (id, channel, unit, rule, approvers, created_at) VALUES (@id, @channel, @unit, @rule, @approvers, @created_at)',
      row,
    );
  }

  removeApproverSet(id: string): void {
    this.run('DELETE FROM channel_approver_sets WHERE id = @id', { id });
  }

  putSender(row: SenderRecord): void {
    this.run(
      'INSERT OR REPLACE INTO channel_senders (channel, sender, name, paired_at) VALUES (@channel, @sender, @name, @paired_at)',
      row,
    );
  }

  putPairing(row: PairingRecord): void {
    this.run(
      'INSERT OR REPLACE INTO channel_pairings (code, channel, sender, sender_name, chat, created_at, expires_at, held) VALUES (@code, @channel, @sender, @sender_name, @chat, @created_at, @expires_at, @held)',
      row,
    );
  }

  removePairing(code: string): void {
    this.run('DELETE FROM channel_pairings WHERE code = @code', { code });
  }

  /** A message in or out; every so often the channel's oldest beyond `keep` go. */
  addMessage(row: ChannelMessageRecord, keep: number): void {
    const prune = ++this.inserted % 500 === 0;
    this.store.write(row.pid, () => {
      this.store.sql
        .prepare(
          `INSERT INTO channel_messages (${MESSAGE_COLUMNS}) VALUES (@channel, @direction, @chat, @thread, @platform_thread, @message_id, @sender, @sender_name, @text, @status, @pid, @at)`,
        )
        .run(row);
      if (prune) {
        this.store.sql
          .prepare(
            'DELETE FROM channel_messages WHERE channel = ? AND id <= (SELECT id FROM channel_messages WHERE channel = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
          )
          .run(row.channel, row.channel, keep);
      }
    });
  }

  /** The newest messages of a channel (of one chat), newest last. */
  async messages(channel: string, options: { chat?: string; limit: number }): Promise<ChannelMessageRecord[]> {
    const rows =
      options.chat === undefined
        ? await this.store.rows<ChannelMessageRecord>(
            `SELECT ${MESSAGE_COLUMNS} FROM channel_messages WHERE channel = ? ORDER BY id DESC LIMIT ?`,
            channel,
            options.limit,
          )
        : await this.store.rows<ChannelMessageRecord>(
            `SELECT ${MESSAGE_COLUMNS} FROM channel_messages WHERE channel = ? AND chat = ? ORDER BY id DESC LIMIT ?`,
            channel,
            options.chat,
            options.limit,
          );
    return rows.reverse();
  }

  /** The last message handed to each process (CHANNEL_SEND's "inbound" after a restart). */
  async origins(): Promise<Array<ChannelMessageRecord & { pid: number }>> {
    return this.store.query(
      (db) =>
        db
          .prepare(
            `SELECT ${MESSAGE_COLUMNS} FROM channel_messages WHERE id IN (SELECT MAX(id) FROM channel_messages WHERE direction = 'in' AND pid IS NOT NULL GROUP BY pid)`,
          )
          .all() as Array<ChannelMessageRecord & { pid: number }>,
    );
  }

  /** The chats each channel heard from or a process wrote to (a send elsewhere is to a new recipient). */
  async knownChats(): Promise<Array<{ channel: string; chat: string }>> {
    return this.store.query(
      (db) =>
        db
          .prepare(
            "SELECT DISTINCT channel, chat FROM channel_messages WHERE (direction = 'in' AND status = 'accepted') OR (direction = 'out' AND status = 'sent' AND pid IS NOT NULL)",
          )
          .all() as Array<{ channel: string; chat: string }>,
    );
  }

  /** Counts of a channel's messages by direction and status (`aos channel ls`). */
  async counts(): Promise<Array<{ channel: string; direction: string; status: string; n: number }>> {
    return this.store.query(
      (db) =>
        db
          .prepare(
            'SELECT channel, direction, status, COUNT(*) AS n FROM channel_messages GROUP BY channel, direction, status',
          )
          .all() as Array<{ channel: string; direction: string; status: string; n: number }>,
    );
  }

  private run(sql: string, row: object): void {
    this.store.write(null, () => this.store.sql.prepare(sql).run(row));
  }
}
