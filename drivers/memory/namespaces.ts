/**
 * Memory namespaces are Chroma collection names: `aos-tree-<root pid>` for a process tree
 * (`aos-<kernel id>-tree-<root pid>` for a kernel whose server others may use: daemon/memory-id.ts),
 * `aos-shared` for the global one; and the ids keys map to.
 */
import { createHash } from 'node:crypto';

export const SHARED_NAMESPACE = 'aos-shared';

export const TREE_PREFIX = 'aos-tree-';

export function treeNamespace(rootPid: number, prefix = TREE_PREFIX): string {
  return `${prefix}${rootPid}`;
}

/** The id a key maps to: stable, so writing the key again updates that memory. */
export function idForKey(key: string): string {
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}
