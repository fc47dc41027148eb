/**
 * Opening the store safely: a damaged or emptied database is refused with a message that names the
 * file and what to do, never half-used; a new one is said to be new. The last good state is kept
 * beside it (SQLite's online backup) so there is something to restore.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';

export interface OpenedDb {
  db: Database.Database;
  /** No store was there before (or only an empty file with nothing to restore). */
  created: boolean;
  /** Why the store counts as new, for the log. */
  note: string | null;
}

export function backupFileOf(file: string): string {
  return `${file}.backup`;
}

function restoreHint(file: string): string {
  const backup = backupFileOf(file);
  if (!existsSync(backup))
    return `No backup exists: move it away (mv "${file}" "${file}.damaged") to start with an empty store.`;
  const when = statSync(backup).mtime.toISOString();
  return `A backup from ${when} is at ${backup}: move the damaged file away and restore it (mv "${file}" "${file}.damaged" && cp "${backup}" "${file}"), then start the kernel again.`;
}

function refuse(file: string, what: string, cause?: unknown): never {
  throw new AosError('EIO', `the kernel store ${file} ${what}. ${restoreHint(file)}`, { cause });
}

/** The file as it is before opening: absent, empty, or holding data. */
function inspect(file: string): { created: boolean; note: string | null } {
  if (!existsSync(file)) return { created: true, note: `created a new kernel store at ${file}` };
  if (statSync(file).size > 0) return { created: false, note: null };
  if (existsSync(backupFileOf(file))) refuse(file, 'is empty (0 bytes) but the kernel has run here before');
  return { created: true, note: `the kernel store ${file} was an empty file; starting a new store in it` };
}

export function openCheckedDb(file: string): OpenedDb {
  if (file === ':memory:') return { db: new Database(file), created: true, note: null };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { created, note } = inspect(file);
  // Transcripts may hold anything an agent read: owner-only, like the socket.
  closeSync(openSync(file, 'a', 0o600));
  let db: Database.Database | null = null;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (!created) {
      const problem = String(db.pragma('quick_check(1)', { simple: true }));
      if (problem !== 'ok') refuse(file, `is damaged (${problem})`);
    }
    return { db, created, note };
  } catch (error) {
    db?.close();
    if (error instanceof AosError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (/CORRUPT|NOTADB/.test(code)) refuse(file, `is damaged (${(error as Error).message})`, error);
    throw new AosError('EIO', `cannot open the kernel store ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Copy the database page by page while it is in use, into a side file renamed over the last backup when complete. */
export async function backupDb(db: Database.Database, file: string): Promise<string> {
  const target = backupFileOf(file);
  const partial = `${target}.partial`;
  try {
    await db.backup(partial);
    await chmod(partial, 0o600);
    renameSync(partial, target);
    return target;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}
