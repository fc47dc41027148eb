/**
 * How a batch of memories lands in a namespace's Chroma collection (memory-store.ts's write): the
 * last write of a key wins, in batches of the server's size; a rewritten key replaces its memory
 * (one whose old metadata has fields the new one lacks is deleted first); named memories are
 * upserted, memories with a fresh random id added.
 */
import type { Collection, Metadata } from 'chromadb';
import type { MemoryRecord } from './memory-types.js';

/** `records` under `ids`, their `vectors` beside them, at most `max` a call. */
export async function putMemories(
  collection: Collection,
  ids: readonly string[],
  records: readonly MemoryRecord[],
  vectors: readonly number[][],
  max: number,
): Promise<void> {
  // The last write of a key in one batch wins (Chroma refuses duplicate ids in one call).
  const last = new Map<string, number>();
  ids.forEach((id, i) => last.set(id, i));
  const order = [...last.values()].sort((a, b) => a - b);
  for (let start = 0; start < order.length; start += max) {
    const slice = order.slice(start, start + max);
    const sliceIds = slice.map((i) => ids[i] as string);
    const metadatas = slice.map((i) => ({ ...(records[i] as MemoryRecord).metadata }) as Metadata);
    // Chroma's upsert merges metadata (and ignores nulls), but a rewritten key replaces the memory:
    // one whose old metadata has fields the new one lacks is deleted first.
    const keyed = slice.flatMap((i, j) => ((records[i] as MemoryRecord).key !== undefined ? [j] : []));
    if (keyed.length) {
      const existing = await collection.get({
        ids: keyed.map((j) => sliceIds[j] as string),
        include: ['metadatas'],
      });
      const fresh = new Map(slice.map((i, j) => [sliceIds[j] as string, metadatas[j] as Metadata]));
      const stale = existing.ids.filter((id, n) =>
        Object.keys(existing.metadatas[n] ?? {}).some((field) => !(field in (fresh.get(id) ?? {}))),
      );
      if (stale.length) await collection.delete({ ids: stale });
    }
    // Keyed and content-named memories are upserted (a repeat lands once); random ids cannot exist yet, and add is cheaper.
    for (const upsert of [true, false]) {
      const named = (r: MemoryRecord): boolean => r.key !== undefined || r.id !== undefined;
      const part = slice.flatMap((i, j) => (named(records[i] as MemoryRecord) === upsert ? [j] : []));
      if (part.length === 0) continue;
      const batch = {
        ids: part.map((j) => sliceIds[j] as string),
        embeddings: part.map((j) => vectors[slice[j] as number] as number[]),
        documents: part.map((j) => (records[slice[j] as number] as MemoryRecord).text),
        // Chroma takes no empty metadata object, but does take none.
        metadatas: part.map((j) => {
          const m = metadatas[j] as Metadata;
          return Object.keys(m).length ? m : undefined;
        }) as Metadata[],
      };
      await (upsert ? collection.upsert(batch) : collection.add(batch));
    }
  }
}
