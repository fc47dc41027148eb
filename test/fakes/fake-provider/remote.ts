/**
 * Start the fake provider in a child process (child.ts): a benchmark's kernel then has its event
 * loop to itself, as it would with a provider on another machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeProviderStats } from './types.js';
import type { ChildMessage } from './child.js';
import type { FakeScript } from './script.js';

export interface RemoteFake {
  /** `http://127.0.0.1:<port>`; OpenAI clients use `${url}/v1`. */
  url: string;
  stats(): Promise<FakeProviderStats>;
  /** The fake's own CPU so far (its process.cpuUsage()): what serving the requests cost it. */
  cpu(): Promise<NodeJS.CpuUsage>;
  set(patch: Partial<FakeScript>): Promise<void>;
  /** A new script on a server that forgets what it served (nothing may be in flight): the same warm process for the next run. */
  reset(script: FakeScript): Promise<void>;
  close(): Promise<void>;
}

function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string } & T): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`fake provider exited (${code}) before answering "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startRemoteFake(script: FakeScript): Promise<RemoteFake> {
  const here = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(here), `child${path.extname(here)}`);
  const child = fork(file, [], {
    env: { ...process.env, AOS_FAKE_SCRIPT: JSON.stringify(script) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await next<{ url: string }>(child, 'ready');
  const ask = (message: ChildMessage): void => {
    child.send(message);
  };
  return {
    url: ready.url,
    async stats() {
      const answer = next<{ stats: FakeProviderStats }>(child, 'stats');
      ask({ type: 'stats' });
      return (await answer).stats;
    },
    async cpu() {
      const answer = next<{ cpu: NodeJS.CpuUsage }>(child, 'cpu');
      ask({ type: 'cpu' });
      return (await answer).cpu;
    },
    async set(patch) {
      const answer = next(child, 'set');
      ask({ type: 'set', patch });
      await answer;
    },
    async reset(script) {
      const answer = next(child, 'reset');
      ask({ type: 'reset', script });
      await answer;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      ask({ type: 'close' });
      await exited;
    },
  };
}
