/** What vector memory stores and returns, as the kernel and syscalls see it. */

export type MemoryScalar = string | number | boolean;
export type MemoryMetadata = Record<string, MemoryScalar>;
/** A Chroma-style metadata filter, already validated by the caller (see syscalls/mem-read.ts). */
export type MemoryWhere = Record<string, unknown>;

export interface MemoryRecord {
  text: string;
  /** Writing a key again replaces that memory; without one the memory gets a fresh id. */
  key?: string;
  metadata?: MemoryMetadata;
}

export interface MemoryHit {
  id: string;
  text: string;
  /** Similarity in [0, 1]: 1 - cosine distance, clamped. */
  score: number;
  metadata: MemoryMetadata;
}

export interface MemoryQuery {
  query: string;
  k: number;
  where?: MemoryWhere;
}
