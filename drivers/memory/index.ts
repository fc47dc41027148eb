/** Memory drivers: the Chroma server (supervised or CHROMA_URL), embedders, and the store on top. */
export { ExternalChroma, HEARTBEAT_PATH, heartbeat, pickFreePort, resolveChromaCli, SupervisedChroma } from './chroma-server.js';
export type { ChromaEndpoint, LogFn, RestartPolicy, SupervisedChromaOptions } from './chroma-server.js';
export { embedderFromSpec, GeminiEmbedder, LocalEmbedder, OpenAIEmbedder } from './embedders.js';
export type { Embedder, EmbedPurpose } from './embedders.js';
export { idForKey, MemoryStore, SHARED_NAMESPACE, toChromaWhere, treeNamespace } from './memory-store.js';
export type { MemoryHit, MemoryMetadata, MemoryQuery, MemoryRecord, MemoryScalar, MemoryStoreOptions, MemoryWhere } from './memory-store.js';
export { openMemory, type MemoryOptions } from './open-memory.js';
