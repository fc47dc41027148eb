/** Bring a store to this aos's schema: create a new one, or run the migrations from its version on. */
import type Database from 'better-sqlite3';
import { AosError } from '../../sys/errno.js';
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema.js';

function versionOf(db: Database.Database): number | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
  return row ? Number(row.value) : undefined;
}

export function migrate(db: Database.Database, file: string): void {
  const found = versionOf(db);
  if (found === undefined) {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    })();
    return;
  }
  if (found > SCHEMA_VERSION) {
    throw new AosError(
      'EIO',
      `the kernel store ${file} has schema ${found}, newer than this aos understands (${SCHEMA_VERSION}): upgrade aos`,
    );
  }
  for (let version = found; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version];
    if (step === undefined)
      throw new AosError('EIO', `the kernel store ${file} has schema ${found}, which this aos cannot migrate`);
    db.transaction(() => {
      db.exec(step);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(version + 1));
    })();
  }
}
