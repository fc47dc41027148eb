/** What vector memory stores and returns: the shapes syscalls see are in the header sys/driver-api.ts. */
import type { MemoryMetadata, MemoryWhere } from '../../sys/driver-api.js';

export type { MemoryHit, MemoryMetadata, MemoryScalar, MemoryWhere } from '../../sys/driver-api.js';

export interface MemoryRecord {
  text: string;
  /** Writing a key again replaces that memory; without one the memory gets `id`, or a fresh one. */
  key?: string;
  /** The id of a memory without a key (the driver's, from its content): writing it again lands once. */
  id?: string;
  metadata?: MemoryMetadata;
}

export interface MemoryQuery {
  query: string;
  k: number;
  where?: MemoryWhere;
}
