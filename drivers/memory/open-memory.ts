/** Builds the kernel's memory store from its options: a supervised Chroma on a data dir, or CHROMA_URL. */
import { type ChromaEndpoint, ExternalChroma, type LogFn } from './chroma-endpoint.js';
import { SupervisedChroma, type SupervisedChromaOptions } from './chroma-server.js';
import type { Embedder } from './embedders.js';
import { embedderFromSpec } from './provider-embedders.js';
import { MemoryStore } from './memory-store.js';
import { param } from '../../sys/param.js';

export interface MemoryOptions {
  /** Chroma's data directory for the supervised server (AOS_HOME/chroma for the daemon). */
  dataDir?: string;
  /** Use this server instead of starting one (CHROMA_URL); wins over dataDir. */
  url?: string;
  /** An embedder, or an AOS_EMBEDDER spec ("local" when absent). */
  embedder?: Embedder | string;
  /** Supervisor settings (timeouts, restart policy, a CLI path or fixed port for tests). */
  chroma?: Partial<Omit<SupervisedChromaOptions, 'dataDir' | 'log'>>;
  opTimeoutMs?: number;
  log?: LogFn;
  /** Where provider embedders read their keys and base URLs. */
  env?: NodeJS.ProcessEnv;
  /**
   * What a tree's collection is named after (`<prefix><root pid>`): this kernel's own on a server
   * other kernels may use too (CHROMA_URL), so that their trees of the same pid never meet.
   * `aos-tree-` when absent.
   */
  treePrefix?: string;
}

/**
 * Nothing starts here: the server starts on the first memory operation. Throws only on a
 * malformed embedder spec or CHROMA_URL, or when neither a data dir nor a URL is given.
 */
export function openMemory(options: MemoryOptions): MemoryStore {
  const embedder =
    typeof options.embedder === 'object' ? options.embedder : embedderFromSpec(options.embedder, options.env);
  let endpoint: ChromaEndpoint;
  if (options.url) endpoint = new ExternalChroma(options.url);
  else if (options.dataDir)
    endpoint = new SupervisedChroma({ ...options.chroma, dataDir: options.dataDir, log: options.log });
  else throw new Error('memory needs a Chroma data dir or CHROMA_URL');
  return new MemoryStore({ endpoint, embedder, opTimeoutMs: options.opTimeoutMs, treePrefix: options.treePrefix });
}

/** param.ts's memory limits under whatever the caller set. */
export function withMemoryDefaults(memory: MemoryOptions): MemoryOptions {
  return {
    ...memory,
    opTimeoutMs: memory.opTimeoutMs ?? param.memOpTimeoutMs,
    chroma: {
      startTimeoutMs: param.memStartTimeoutMs,
      stopGraceMs: param.memStopGraceMs,
      retryAfterMs: param.memRetryAfterMs,
      ...memory.chroma,
      restart: {
        initialDelayMs: param.memRestartDelayMs,
        maxDelayMs: param.memRestartMaxDelayMs,
        maxRestarts: param.memMaxRestarts,
        windowMs: param.memRestartWindowMs,
        ...memory.chroma?.restart,
      },
    },
  };
}
