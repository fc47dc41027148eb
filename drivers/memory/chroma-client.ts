/**
 * The chromadb client for the current server address. A unix-socket address (the kernel's own,
 * private server) gets a dispatcher that sends every request down that socket; a URL (CHROMA_URL)
 * goes through node's own. Either way each answer's body is cut past param.memoryReplyMaxBytes as
 * it arrives (reply-cap.ts): the client reads answers whole, and a server that answers without end
 * would otherwise fill the kernel's memory. And each request ends with the operation it was made for
 * (its time limit, its process killed: request-signal.ts), or after the operation's limit at most.
 */
import type { ChromaClient } from 'chromadb';
import { param } from '../../sys/param.js';
import { nodeDispatcher } from '../node-dispatcher.js';
import { cappedDispatcher } from '../capped-dispatcher.js';
import { chromaTarget } from './chroma-address.js';
import { UnixSocketDispatcher } from './unix-dispatcher.js';

export type ChromaModule = typeof import('chromadb');

/** Where the bound on an answer is set, as its error names it. */
export const MEMORY_REPLY_SETTING = 'param.memoryReplyMaxBytes';

/** Where the time an answer may take is set (the store's operation limit), as its error names it. */
const TIME_SETTING = 'param.memOpTimeoutMs';

export class ChromaClients {
  /** `answerMs`: the longest an answer may take, from its request to its last byte (an operation's limit). */
  constructor(private readonly answerMs: number) {}

  private current: { address: string; client: ChromaClient; dispatcher: UnixSocketDispatcher | null } | null = null;

  /** The client for `address`; `fresh` when it replaced another (a restarted or different server). */
  get(chroma: ChromaModule, address: string): { client: ChromaClient; fresh: boolean } {
    if (this.current?.address === address) return { client: this.current.client, fresh: false };
    this.close();
    const { host, port, ssl, socketPath } = chromaTarget(address);
    const dispatcher = socketPath ? new UnixSocketDispatcher(socketPath) : null;
    const capped = cappedDispatcher(
      () => dispatcher ?? nodeDispatcher(),
      { max: param.memoryReplyMaxBytes, setting: MEMORY_REPLY_SETTING },
      { maxMs: this.answerMs, timeSetting: TIME_SETTING },
    );
    const fetchOptions = { dispatcher: capped } as RequestInit;
    const client = new chroma.ChromaClient({ host, port, ssl, fetchOptions });
    this.current = { address, client, dispatcher };
    return { client, fresh: true };
  }

  /** Drops the client and closes its kept-alive connections. */
  close(): void {
    void this.current?.dispatcher?.close();
    this.current = null;
  }
}
