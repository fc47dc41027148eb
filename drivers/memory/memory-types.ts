/** What vector memory stores and returns: the shapes syscalls see are in the header kernel/driver-api.ts. */
import type { MemoryMetadata, MemoryWhere } from '../../kernel/driver-api.js';

export type { MemoryHit, MemoryMetadata, MemoryScalar, MemoryWhere } from '../../kernel/driver-api.js';

export interface MemoryRecord {
  text: string;
  /** Writing a key again replaces that memory; without one the memory gets a fresh id. */
  key?: string;
  metadata?: MemoryMetadata;
}

export interface MemoryQuery {
  query: string;
  k: number;
  where?: MemoryWhere;
}
