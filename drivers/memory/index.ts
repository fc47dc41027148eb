/** Memory drivers: the Chroma server (supervised and private, or CHROMA_URL), embedders, and the store on top. */
export { chromaTarget, displayAddress, HEARTBEAT_PATH, heartbeat, unixSocketAddress } from './chroma-address.js';
export type { ChromaTarget } from './chroma-address.js';
export { ExternalChroma } from './chroma-endpoint.js';
export type { ChromaEndpoint, LogFn } from './chroma-endpoint.js';
export { SupervisedChroma } from './chroma-server.js';
export type { RestartPolicy, SupervisedChromaOptions } from './chroma-server.js';
export { IsolationError, resolveChromaCli, runDirFor } from './chroma-spawn.js';
export { LocalEmbedder } from './embedders.js';
export { embedderFromSpec, GeminiEmbedder, OpenAIEmbedder } from './provider-embedders.js';
export type { Embedder, EmbedPurpose } from './embedders.js';
export { toChromaWhere } from './chroma-where.js';
export { idForKey, MemoryStore, SHARED_NAMESPACE, treeNamespace } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export type {
  MemoryHit,
  MemoryMetadata,
  MemoryQuery,
  MemoryRecord,
  MemoryScalar,
  MemoryWhere,
} from './memory-types.js';
export { openMemory, type MemoryOptions } from './open-memory.js';
