/**
 * Vector memory on Chroma: one collection per namespace, vectors from aos's own embedder.
 *
 * Namespaces are collection names (namespaces.ts): one per process tree, one shared. Each collection
 * records the embedder id and dimension that built it (metadata `aos_embedder`, `aos_dim`); opening
 * it with another embedder is refused, never mixed.
 *
 * Every failure leaves here as an AosError: EIO "memory is unavailable: ..." when Chroma or the
 * embedder cannot be reached or an answer passed param.memoryReplyMaxBytes, EINVAL when Chroma
 * refuses a filter, ETIMEDOUT / EINTR for time limits and kills. A dropped connection is retried once after the supervisor has recovered.
 */
import { randomUUID } from 'node:crypto';
import { idForKey, treeNamespace } from './namespaces.js';
import type { ChromaClient, Collection } from 'chromadb';
import { AosError } from '../../sys/errno.js';
import { displayAddress } from './chroma-address.js';
import { ChromaClients, type ChromaModule } from './chroma-client.js';
import { replyCut } from '../reply-cap.js';
import type { ChromaEndpoint } from './chroma-endpoint.js';
import type { Embedder } from './embedders.js';
import { scalarsOf, toChromaWhere } from './chroma-where.js';
import type { MemoryHit, MemoryMetadata, MemoryQuery, MemoryRecord } from './memory-types.js';
import { putMemories } from './memory-write.js';
import { boundedOp } from './bounded-op.js';
import { requestScope } from '../request-signal.js';

export interface MemoryStoreOptions {
  endpoint: ChromaEndpoint;
  embedder: Embedder;
  /** Longest one operation (embedding + Chroma) may take. */
  opTimeoutMs?: number;
  /** A tree's collection is `<treePrefix><root pid>` (`aos-tree-` by default; open-memory.ts). */
  treePrefix?: string;
}

export { idForKey, SHARED_NAMESPACE, TREE_PREFIX, treeNamespace } from './namespaces.js';

let chromaModule: Promise<ChromaModule> | null = null;
/** Loaded on first use: kernels that never touch memory never load the client. */
function loadChroma(): Promise<ChromaModule> {
  chromaModule ??= import('chromadb');
  return chromaModule;
}

/** Why the operation's last request failed, as its transport said (the chromadb client drops it), or ''. */
function why(): string {
  const failure = requestScope()?.failure;
  return failure ? `: ${failure.message}` : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An operation's time limit where none is given. */
const OP_TIMEOUT_MS = 30_000;

export class MemoryStore {
  private readonly clients: ChromaClients;
  private readonly collections = new Map<string, Promise<Collection>>();
  /** Collections whose opening has not settled: a timed-out operation forgets them (the next opens again, not waiting behind a hung answer). */
  private readonly opening = new Set<string>();
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions) {
    this.clients = new ChromaClients(options.opTimeoutMs ?? OP_TIMEOUT_MS);
  }

  get embedder(): Embedder {
    return this.options.embedder;
  }

  /** The collection of the tree whose root is `rootPid`. */
  treeNamespace(rootPid: number): string {
    return treeNamespace(rootPid, this.options.treePrefix);
  }

  get endpoint(): ChromaEndpoint {
    return this.options.endpoint;
  }

  /** Write one or more memories (one embedding request, one upsert per Chroma batch); returns their ids. */
  async write(namespace: string, records: readonly MemoryRecord[], signal?: AbortSignal): Promise<string[]> {
    if (records.length === 0) return [];
    return this.bounded(signal, async (sig) => {
      const ids = records.map((r) => (r.key !== undefined ? idForKey(r.key) : (r.id ?? `m-${randomUUID()}`)));
      const vectors = await this.embed(
        records.map((r) => r.text),
        'document',
        sig,
      );
      const dim = vectors[0]?.length ?? 0;
      await this.withChroma(async (client, url) => {
        const collection = await this.collection(client, url, namespace, dim);
        await putMemories(collection, ids, records, vectors, await this.maxBatch(client));
      });
      return ids;
    });
  }

  /** The k memories nearest to the query (optionally filtered by metadata), best first. */
  async read(namespace: string, query: MemoryQuery, signal?: AbortSignal): Promise<MemoryHit[]> {
    return this.bounded(signal, async (sig) => {
      const [vector] = await this.embed([query.query], 'query', sig);
      const embedding = vector as number[];
      return this.withChroma(async (client, url) => {
        const collection = await this.collection(client, url, namespace, embedding.length);
        const result = await collection.query({
          queryEmbeddings: [embedding],
          nResults: query.k,
          ...(query.where && Object.keys(query.where).length ? { where: toChromaWhere(query.where) } : {}),
          include: ['documents', 'metadatas', 'distances'],
        });
        const ids = result.ids[0] ?? [];
        return ids.map((id, i) => {
          const distance = result.distances[0]?.[i] ?? 1;
          const score = Math.min(1, Math.max(0, 1 - distance));
          return {
            id,
            text: result.documents[0]?.[i] ?? '',
            score: Math.round(score * 10_000) / 10_000,
            metadata: scalarsOf(result.metadatas[0]?.[i] ?? null),
          };
        });
      });
    });
  }

  /** The id of a memory of the namespace whose text hashes to `sha` (its `text_sha256`), or null (none, or no namespace yet). */
  async withText(namespace: string, sha: string, signal?: AbortSignal): Promise<string | null> {
    return this.bounded(signal, () =>
      this.inNamespace(
        namespace,
        null,
        async (c) => (await c.get({ where: { text_sha256: sha }, limit: 1, include: [] })).ids[0] ?? null,
      ),
    );
  }

  /** Memories in a namespace (0 when it does not exist yet). */
  async count(namespace: string): Promise<number> {
    return this.inNamespace(namespace, 0, (c) => c.count());
  }

  /** `fn` on a namespace's collection when it exists; `none` when it does not yet (nothing is made). */
  private inNamespace<T>(namespace: string, none: T, fn: (collection: Collection) => Promise<T>): Promise<T> {
    return this.withChroma(async (client) => {
      try {
        return await fn(await client.getCollection({ name: namespace }));
      } catch (error) {
        const { ChromaNotFoundError } = await loadChroma();
        if (error instanceof ChromaNotFoundError) return none;
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.collections.clear();
    this.clients.close();
    await this.options.endpoint.stop();
  }

  private async embed(texts: string[], purpose: 'document' | 'query', signal: AbortSignal): Promise<number[][]> {
    const { embedder } = this.options;
    try {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += embedder.maxBatch) {
        out.push(...(await embedder.embed(texts.slice(i, i + embedder.maxBatch), purpose, signal)));
      }
      return out;
    } catch (error) {
      if (signal.aborted)
        throw signal.reason instanceof AosError ? signal.reason : new AosError('EINTR', 'interrupted');
      throw new AosError('EIO', `memory is unavailable: embedder ${embedder.id} failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /** Runs `fn` against a live server; a dropped connection is retried once after recovery. */
  private async withChroma<T>(fn: (client: ChromaClient, url: string) => Promise<T>): Promise<T> {
    if (this.closed) throw new AosError('EIO', 'memory is unavailable: the memory service is stopped');
    const chroma = await loadChroma();
    let url: string;
    try {
      url = await this.options.endpoint.ensureRunning();
    } catch (error) {
      throw new AosError('EIO', `memory is unavailable: ${messageOf(error)}`, { cause: error });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.clientFor(chroma, url), url);
      } catch (error) {
        if (error instanceof AosError) throw error;
        if (!(error instanceof chroma.ChromaConnectionError)) throw this.translate(chroma, error);
        if (attempt > 0)
          throw new AosError('EIO', `memory is unavailable: cannot reach Chroma at ${displayAddress(url)}${why()}`, {
            cause: error,
          });
        try {
          url = await this.options.endpoint.recover(url);
        } catch (recoverError) {
          throw new AosError('EIO', `memory is unavailable: ${messageOf(recoverError)}`, { cause: recoverError });
        }
      }
    }
  }

  private translate(chroma: ChromaModule, error: unknown): AosError {
    const cut = replyCut(error);
    if (cut !== null)
      return new AosError('EIO', `memory store error: Chroma's answer: ${cut.message}`, { cause: error });
    if (error instanceof chroma.ChromaClientError || error instanceof chroma.ChromaValueError) {
      return new AosError('EINVAL', `the memory store refused the request: ${messageOf(error)}`, { cause: error });
    }
    return new AosError('EIO', `memory store error: ${messageOf(error)}`, { cause: error });
  }

  private clientFor(chroma: ChromaModule, url: string): ChromaClient {
    const { client, fresh } = this.clients.get(chroma, url);
    if (fresh) {
      this.collections.clear();
      this.batchLimit = null;
    }
    return client;
  }

  private batchLimit: number | null = null;

  private async maxBatch(client: ChromaClient): Promise<number> {
    this.batchLimit ??= await client.getMaxBatchSize().catch(() => 1000);
    return Math.max(1, this.batchLimit);
  }

  private collection(client: ChromaClient, url: string, namespace: string, dim: number): Promise<Collection> {
    const cacheKey = `${url}\u0000${namespace}`;
    const cached = this.collections.get(cacheKey);
    if (cached) return cached.then((c) => this.checkDim(c, namespace, dim));
    const { embedder } = this.options;
    const opening = client
      .getOrCreateCollection({
        name: namespace,
        embeddingFunction: null,
        configuration: { hnsw: { space: 'cosine' } },
        metadata: { aos_embedder: embedder.id, aos_dim: dim, aos_space: 'cosine' },
      })
      .then((c) => this.checkDim(c, namespace, dim));
    this.collections.set(cacheKey, opening);
    this.opening.add(cacheKey);
    void opening.then(
      () => this.opening.delete(cacheKey),
      () => {
        this.opening.delete(cacheKey);
        if (this.collections.get(cacheKey) === opening) this.collections.delete(cacheKey);
      },
    );
    return opening;
  }

  private checkDim(collection: Collection, namespace: string, dim: number): Collection {
    const meta = collection.metadata ?? {};
    const builtWith = meta.aos_embedder;
    const builtDim = meta.aos_dim;
    const mine = this.options.embedder.id;
    if (typeof builtWith !== 'string' || typeof builtDim !== 'number') {
      throw new AosError(
        'EIO',
        `memory namespace ${namespace} was not created by aos (no embedder recorded); refusing to mix vectors into it`,
      );
    }
    if (builtWith !== mine || builtDim !== dim) {
      throw new AosError(
        'EIO',
        `memory namespace ${namespace} was built with embedder ${builtWith} (dim ${builtDim}); this kernel uses ${mine} (dim ${dim}). ` +
          'Run the kernel with the same AOS_EMBEDDER, or use a fresh Chroma data dir.',
      );
    }
    return collection;
  }

  /** Time limit and kill signal around one operation; a timed-out one forgets the openings it left unsettled. */
  private bounded<T>(signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const forget = (): void => {
      for (const key of this.opening) this.collections.delete(key);
      this.opening.clear();
    };
    return boundedOp(this.options.opTimeoutMs ?? OP_TIMEOUT_MS, signal, forget, fn);
  }
}
