/**
 * The memory driver's table entry: one store on Chroma opened once (nothing starts until the first
 * MEM_* call), and per process its tree's namespace — or the shared one; no argument can name
 * another tree's — with the pid and time stamped by the driver, never by the process.
 */
import { createHash } from 'node:crypto';
import type { ProcessMemory } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { defineDriver, type ProcessScope } from '../driver.js';
import { type MemoryStore, SHARED_NAMESPACE } from './memory-store.js';
import { openMemory, withMemoryDefaults } from './open-memory.js';

function available(store: MemoryStore | null): MemoryStore {
  if (!store)
    throw new AosError(
      'EIO',
      'memory is unavailable: this kernel runs without a memory store (no Chroma data dir or CHROMA_URL)',
    );
  return store;
}

function namespaceOf(store: MemoryStore, proc: ProcessScope, shared: boolean | undefined): string {
  return shared ? SHARED_NAMESPACE : store.treeNamespace(proc.tree);
}

/**
 * A memory without a key is named by what it is: its writer, text and metadata. A write that timed
 * out but landed later, retried, or re-run after a kernel crash, then lands once (issue 27.10).
 */
function contentId(pid: number, text: string, metadata: Record<string, unknown> | undefined): string {
  const fields = Object.keys(metadata ?? {})
    .sort()
    .map((k) => [k, (metadata as Record<string, unknown>)[k]]);
  const hex = createHash('sha256')
    .update(JSON.stringify([pid, text, fields]))
    .digest('hex');
  return `m-${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Identical texts written at once to one namespace: one write, the others its answer (deduped). */
const writing = new WeakMap<MemoryStore, Map<string, Promise<{ id: string; deduped?: true }>>>();

function onceFor(
  store: MemoryStore,
  key: string,
  write: () => Promise<{ id: string; deduped?: true }>,
): Promise<{ id: string; deduped?: true }> {
  let inFlight = writing.get(store);
  if (!inFlight) writing.set(store, (inFlight = new Map()));
  const running = inFlight.get(key);
  if (running) return running.then(({ id }) => ({ id, deduped: true as const }));
  const started = write().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

export const memoryDriver = defineDriver({
  name: 'memory',
  summary:
    'vector memory on a private, supervised Chroma (or CHROMA_URL), one namespace per process tree (MEM_WRITE, MEM_READ)',
  open: (config): MemoryStore | null => (config.memory ? openMemory(withMemoryDefaults(config.memory)) : null),
  scope: (store, proc): ProcessMemory => ({
    async write(request) {
      const memory = available(store);
      const namespace = namespaceOf(memory, proc, request.shared);
      const sha = createHash('sha256').update(request.text).digest('hex');
      // The driver's fields come last: a process cannot forge its pid, the time or the text's hash.
      const metadata = {
        ...request.metadata,
        ...(request.key !== undefined ? { key: request.key } : {}),
        pid: proc.pid,
        ts: new Date().toISOString(),
        text_sha256: sha,
      };
      const id = request.key === undefined ? contentId(proc.pid, request.text, request.metadata) : undefined;
      const store_ = (): Promise<{ id: string }> =>
        memory
          .write(namespace, [{ text: request.text, key: request.key, metadata, ...(id ? { id } : {}) }], proc.signal)
          .then(([written]) => ({ id: written as string }));
      // A keyed write replaces its key's memory; an unkeyed one of a text the namespace holds is that memory (exactly the same text only).
      if (request.key !== undefined) return store_();
      return onceFor(memory, `${namespace}\u0000${sha}`, async () => {
        const existing = await memory.withText(namespace, sha, proc.signal);
        return existing === null ? store_() : { id: existing, deduped: true as const };
      });
    },
    async read(request) {
      const memory = available(store);
      const hits = await memory.read(
        namespaceOf(memory, proc, request.shared),
        { query: request.query, k: request.k, where: request.where },
        proc.signal,
      );
      // The text's hash is the kernel's bookkeeping (dedup), not the model's to read: 64 characters a hit.
      return { hits: hits.map(({ metadata: { text_sha256: _sha, ...metadata }, ...hit }) => ({ ...hit, metadata })) };
    },
  }),
  close: async (store) => {
    await store?.close().catch(() => undefined);
  },
});
