/** Between aos's memory shapes and Chroma's: metadata back to scalars, filters to Chroma's one-key form. */
import type { Metadata, Where } from 'chromadb';
import type { MemoryMetadata, MemoryWhere } from './memory-types.js';

export function scalarsOf(metadata: Metadata | null): MemoryMetadata {
  const out: MemoryMetadata = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

const LOGICAL = new Set(['$and', '$or']);

/**
 * Chroma wants one key per where object: `{a: 1, b: {$gt: 2, $lt: 5}}` becomes
 * `{$and: [{a: 1}, {b: {$gt: 2}}, {b: {$lt: 5}}]}`.
 */
export function toChromaWhere(where: MemoryWhere): Where {
  const parts: Where[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (LOGICAL.has(key)) {
      const list = (Array.isArray(value) ? value : []).map((w) => toChromaWhere(w as MemoryWhere));
      // Chroma wants two or more operands; one is just itself.
      parts.push(list.length === 1 ? (list[0] as Where) : ({ [key]: list } as Where));
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [op, operand] of Object.entries(value)) parts.push({ [key]: { [op]: operand } } as Where);
    } else {
      parts.push({ [key]: value } as Where);
    }
  }
  if (parts.length === 1) return parts[0] as Where;
  return { $and: parts };
}
