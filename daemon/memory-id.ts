/**
 * What this kernel's trees' memory collections are named after, kept in `$AOS_HOME/memory-id`
 * (0600): `aos-<id>-tree-<root pid>`, an id of this home's own, so that kernels sharing one Chroma
 * server (CHROMA_URL: a cluster's nodes, or two homes on one machine) never meet in each other's
 * trees — pids are each kernel's. A home whose store predates the id keeps `aos-tree-<pid>`, the
 * names its memories already have (`legacy`), and is warned when its server may be shared.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maskUrlPassword } from '../sys/url-credentials.js';

const LEGACY = 'legacy';

export function memoryTreePrefix(
  home: string,
  db: string,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): string | undefined {
  const file = path.join(home, 'memory-id');
  let id = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!/^([0-9a-f]{12}|legacy)$/.test(id)) {
    id = existsSync(db) ? LEGACY : randomBytes(6).toString('hex');
    // Written beside and renamed: a torn file must not make a home with a store look legacy.
    writeFileSync(`${file}.tmp`, `${id}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  if (id !== LEGACY) return `aos-${id}-tree-`;
  if (env.CHROMA_URL) {
    warn(
      `memory: this home's trees keep their memories in collections named aos-tree-<root pid> on ${maskUrlPassword(env.CHROMA_URL)}; another kernel on that server reaches a tree of the same pid. A new AOS_HOME names them after its own id (${file})`,
    );
  }
  return undefined;
}
