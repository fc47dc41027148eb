/** The peers bench's fake server (peers-fake-server.ts) in its own process, driven over IPC. */
import { forkBench, nextMessage } from './peers-fork.js';
import type { PeersFakeMessage, PeersFakeStats, PeersScript } from './peers-fake-server.js';

export interface PeersFake {
  /** The base URL OpenAI clients take: `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Change the latency and turns, and start the counters afresh. */
  set(script: PeersScript): Promise<void>;
  stats(): Promise<PeersFakeStats>;
  close(): Promise<void>;
}

export async function startPeersFake(): Promise<PeersFake> {
  const child = forkBench('peers-fake-server');
  const { url } = await nextMessage<{ url: string }>(child, 'ready');
  const send = (message: PeersFakeMessage): void => {
    child.send(message);
  };
  return {
    url,
    async set(script) {
      const done = nextMessage(child, 'set');
      send({ type: 'set', script });
      await done;
    },
    async stats() {
      const answer = nextMessage<{ stats: PeersFakeStats }>(child, 'stats');
      send({ type: 'stats' });
      return (await answer).stats;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      send({ type: 'close' });
      await exited;
    },
  };
}
