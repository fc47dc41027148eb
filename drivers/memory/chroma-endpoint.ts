/**
 * Where the memory service gets its Chroma server from: the kernel's own, supervised
 * (chroma-server.ts), or one someone else runs (CHROMA_URL), which is used as it is.
 */
import { displayAddress } from './chroma-address.js';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface ChromaEndpoint {
  /** The address (see chroma-address.ts) of a live server, starting one when needed; rejects with the reason when it cannot. */
  ensureRunning(): Promise<string>;
  /** A request to `address` failed to connect: resolve with an address worth retrying on (maybe after a restart). */
  recover(address: string): Promise<string>;
  stop(): Promise<void>;
  /** For logs and errors: "chroma (pid N, unix socket ...)" or "CHROMA_URL http://...". */
  describe(): string;
}

/**
 * A server someone else runs (CHROMA_URL): we neither start nor restart it. `http(s)://host:port`,
 * or `http+unix://<percent-encoded socket path>` for one reached through a unix socket.
 */
export class ExternalChroma implements ChromaEndpoint {
  private readonly base: string;

  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`CHROMA_URL is not a URL: ${url}`);
    }
    if (parsed.protocol === 'http+unix:' && !decodeURIComponent(parsed.host).startsWith('/')) {
      throw new Error(`CHROMA_URL http+unix:// needs an absolute socket path, percent-encoded: ${url}`);
    }
    if (!['http:', 'https:', 'http+unix:'].includes(parsed.protocol))
      throw new Error(`CHROMA_URL must be http(s):// or http+unix://: ${url}`);
    this.base = `${parsed.protocol}//${parsed.host}`;
  }

  ensureRunning(): Promise<string> {
    return Promise.resolve(this.base);
  }

  recover(): Promise<string> {
    return Promise.resolve(this.base);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  describe(): string {
    return `CHROMA_URL ${displayAddress(this.base)}`;
  }
}
