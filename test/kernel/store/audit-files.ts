/** A store file with an audit trail in a temporary directory, opened and closed as kernel starts do, for the audit tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AuditTrail, type AuditInput } from '../../../kernel/store/audit.js';
import { Store } from '../../../kernel/store/store.js';

export interface AuditFiles {
  /** A fresh store file (aos.db) in a new temporary directory. */
  fresh(): Promise<string>;
  /** The directory of the last fresh(). */
  readonly dir: string;
  /** Remove the directory (afterEach). */
  dispose(): Promise<void>;
}

/**
 * The checkpoint threads of the stores append() and verify() closed: until one has ended, its
 * connection may still make or remove the store's -wal and -shm files (checkpoint.ts), so a
 * directory is removed only once they have (dispose). Removing it before failed with ENOTEMPTY
 * (CI 92): a thread that opened the database as the directory was being emptied.
 */
const threads: Array<Promise<void>> = [];

/** Close a store: its checkpoint thread told to stop first (as a kernel's close does), and waited for in dispose(). */
function closeStore(store: Store): void {
  threads.push(store.stopCheckpoints());
  store.close();
}

export function auditFiles(prefix: string): AuditFiles {
  let dir = '';
  return {
    async fresh() {
      dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      return path.join(dir, 'aos.db');
    },
    get dir() {
      return dir;
    },
    async dispose() {
      await Promise.all(threads.splice(0));
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = '';
    },
  };
}

/** Open the store as a kernel start does, append `n` decisions made by `row`, commit and close. */
export function append(file: string, n: number, row: (i: number) => AuditInput): void {
  const store = Store.open(file);
  const audit = new AuditTrail(store);
  for (let i = 0; i < n; i++) audit.record(row(i));
  closeStore(store);
}

export function verify(file: string): ReturnType<AuditTrail['verify']> {
  const store = Store.open(file);
  try {
    return new AuditTrail(store).verify();
  } finally {
    closeStore(store);
  }
}

/** What an intruder with the store file does while the kernel is stopped. */
export function sql(file: string, statement: string): void {
  const db = new Database(file);
  db.prepare(statement).run();
  db.close();
}
