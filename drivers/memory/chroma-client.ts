/**
 * The chromadb client for the current server address. A unix-socket address (the kernel's own,
 * private server) gets a dispatcher that sends every request down that socket; a URL (CHROMA_URL)
 * gets the client as it comes.
 */
import type { ChromaClient } from 'chromadb';
import { chromaTarget } from './chroma-address.js';
import { UnixSocketDispatcher } from './unix-dispatcher.js';

export type ChromaModule = typeof import('chromadb');

export class ChromaClients {
  private current: { address: string; client: ChromaClient; dispatcher: UnixSocketDispatcher | null } | null = null;

  /** The client for `address`; `fresh` when it replaced another (a restarted or different server). */
  get(chroma: ChromaModule, address: string): { client: ChromaClient; fresh: boolean } {
    if (this.current?.address === address) return { client: this.current.client, fresh: false };
    this.close();
    const { host, port, ssl, socketPath } = chromaTarget(address);
    const dispatcher = socketPath ? new UnixSocketDispatcher(socketPath) : null;
    const fetchOptions = dispatcher ? { fetchOptions: { dispatcher: dispatcher.asFetchDispatcher() } } : {};
    const client = new chroma.ChromaClient({ host, port, ssl, ...fetchOptions });
    this.current = { address, client, dispatcher };
    return { client, fresh: true };
  }

  /** Drops the client and closes its kept-alive connections. */
  close(): void {
    void this.current?.dispatcher?.close();
    this.current = null;
  }
}
