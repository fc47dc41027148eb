/**
 * What a group commit is made of, and the one piece of code that commits it: a batch of writes,
 * each a list of SQL statements with their parameters and the process it belongs to.
 *
 * The queue commits a batch in one transaction. A write that fails for a reason of its own (a
 * constraint, a value SQLite refuses) is isolated: the batch is committed again write by write
 * and the processes whose writes failed are named. A disk that refuses the commit (full,
 * read-only, I/O errors) holds the batch, and every batch after it, in order, and retries every
 * `retryMs` until it works: nothing is lost, nothing is reordered.
 *
 * The same source runs on the store's commit thread (commit-thread.ts) and, for a store in
 * memory, on the kernel's thread (committer.ts). It is plain JavaScript, as the other threads of
 * the store are, so that it runs the same from dist, under tsx and in a test runner.
 */
import { runInThisContext } from 'node:vm';
import type Database from 'better-sqlite3';

/** One statement: its SQL and its parameters (positional, or named for `@name`). */
export type Op = readonly [sql: string, params: readonly unknown[] | Readonly<Record<string, unknown>>];

/** Statements that belong together, charged to one process (null: the kernel's own). */
export interface WriteOps {
  pid: number | null;
  ops: Op[];
}

export interface Batch {
  seq: number;
  writes: WriteOps[];
}

export interface DiskFailure {
  message: string;
  code?: string;
}

/** What became of a batch: committed (maybe without some processes' writes), or held by a refusing disk. */
export interface Outcome {
  seq: number;
  /** Set when the disk refused the commit: the batch is kept and retried; a later outcome says it committed. */
  held?: DiskFailure;
  /** Processes whose writes failed on their own (the rest committed): pid, message. */
  broken?: Array<[number, string]>;
  /** Kernel writes that failed on their own and were dropped. */
  dropped?: string[];
}

export interface CommitQueue {
  submit(batch: Batch): void;
  /** Batches are held by a refusing disk. */
  holding(): boolean;
  /** Stop retrying (the store is closing); what is still held is given up. */
  stop(): number;
}

export type CommitQueueFactory = new (db: Database.Database, report: (outcome: Outcome) => void, retryMs: number) => CommitQueue;

export const COMMIT_QUEUE_SOURCE = `
function isDiskError(error) {
  const code = String((error && error.code) || '');
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || /^(ENOSPC|EDQUOT|EROFS|EIO)$/.test(code);
}
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
// A buffer crosses threads as a plain Uint8Array; SQLite binds buffers.
function isBytes(value) {
  return value instanceof Uint8Array && !Buffer.isBuffer(value);
}
function bindable(value) {
  return isBytes(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}
class CommitQueue {
  constructor(db, report, retryMs) {
    this.db = db;
    this.report = report;
    this.retryMs = retryMs;
    this.held = [];
    this.failure = null;
    this.timer = null;
    this.statements = new Map();
  }
  statement(sql) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
  apply(write) {
    for (const [sql, params] of write.ops) {
      const statement = this.statement(sql);
      if (Array.isArray(params)) statement.run(...(params.some(isBytes) ? params.map(bindable) : params));
      else if (Object.values(params).some(isBytes)) {
        const named = {};
        for (const key of Object.keys(params)) named[key] = bindable(params[key]);
        statement.run(named);
      } else statement.run(params);
    }
  }
  submit(batch) {
    if (this.held.length > 0) {
      this.held.push(batch);
      batch.told = true;
      this.report({ seq: batch.seq, held: this.failure });
      return;
    }
    this.commit([batch]);
  }
  // Batches that arrived together, in one transaction (a thread that fell behind catches up in one commit).
  submitAll(batches) {
    if (batches.length === 1) return this.submit(batches[0]);
    if (this.held.length > 0) {
      for (const batch of batches) this.submit(batch);
      return;
    }
    this.commit(batches);
  }
  commit(batches) {
    try {
      this.db.transaction(() => {
        for (const batch of batches) for (const write of batch.writes) this.apply(write);
      })();
      this.done(batches, null);
    } catch (error) {
      if (isDiskError(error)) return this.hold(batches, error);
      this.done(batches, this.isolate(batches));
    }
  }
  isolate(batches) {
    const problems = new Map();
    for (const batch of batches) {
      const broken = [];
      const dropped = [];
      for (const write of batch.writes) {
        try {
          this.db.transaction(() => this.apply(write))();
        } catch (error) {
          if (write.pid !== null) broken.push([write.pid, messageOf(error)]);
          else dropped.push(messageOf(error));
        }
      }
      problems.set(batch.seq, { broken, dropped });
    }
    return problems;
  }
  done(batches, problems) {
    this.failure = null;
    for (const batch of batches) {
      const problem = problems && problems.get(batch.seq);
      const outcome = { seq: batch.seq };
      if (problem && problem.broken.length > 0) outcome.broken = problem.broken;
      if (problem && problem.dropped.length > 0) outcome.dropped = problem.dropped;
      this.report(outcome);
    }
  }
  hold(batches, error) {
    this.failure = { message: messageOf(error), code: error && error.code ? String(error.code) : undefined };
    this.held = batches.concat(this.held);
    for (const batch of batches) {
      if (batch.told) continue;
      batch.told = true;
      this.report({ seq: batch.seq, held: this.failure });
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        const held = this.held;
        this.held = [];
        this.commit(held);
      }, this.retryMs);
    }
  }
  holding() {
    return this.held.length > 0;
  }
  stop() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const left = this.held.length;
    this.held = [];
    return left;
  }
}
`;

let factory: CommitQueueFactory | null = null;

/** The queue's class on this thread (evaluated once). */
export function commitQueueClass(): CommitQueueFactory {
  factory ??= runInThisContext(`(function () {${COMMIT_QUEUE_SOURCE}\nreturn CommitQueue;\n})`)() as CommitQueueFactory;
  return factory;
}
