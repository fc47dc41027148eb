/** `aos top`: the dashboard (cmd/top/) fed by the kernel: a snapshot, then pushed events and stats. */
import type { KernelClient } from '../client/client.js';
import { KernelUnreachableError } from '../client/errors.js';
import { openKernel } from './connect.js';
import { importBeside } from './import-beside.js';
import type { Topic } from '../protocol/protocol.js';
import type { TopHandlers, TopSource } from './top/source.js';
import type { VerbSpec } from './verb.js';

/** A TopSource over the socket; after the kernel goes away, the next call connects again. */
class KernelTopSource implements TopSource {
  private client: KernelClient | null = null;

  private async connected(): Promise<KernelClient> {
    this.client ??= (await openKernel()).client;
    return this.client;
  }

  /** Forget a broken connection so that a retry reconnects. */
  private async use<T>(work: (client: KernelClient) => Promise<T>): Promise<T> {
    const client = await this.connected();
    try {
      return await work(client);
    } catch (error) {
      if (error instanceof KernelUnreachableError && this.client === client) {
        client.close();
        this.client = null;
      }
      throw error;
    }
  }

  snapshot(): ReturnType<TopSource['snapshot']> {
    return this.use(async (c) => {
      const [processes, stats] = await Promise.all([c.request('ps', { all: false }), c.request('stats', {})]);
      return { processes, stats };
    });
  }

  subscribe(handlers: TopHandlers): () => void {
    let stopped = false;
    let stop = (): void => {
      stopped = true;
    };
    const pump = async (): Promise<void> => {
      const topics: Topic[] = handlers.onText ? ['events', 'stats', 'text'] : ['events', 'stats'];
      const { result, pushes } = await this.use((c) => c.stream('subscribe', { topics }));
      stop = () => void pushes.return();
      if (stopped) return stop();
      handlers.onStats(result.stats);
      for await (const push of pushes) {
        if (push.event === 'event') handlers.onEvent(push.payload);
        else if (push.event === 'stats') handlers.onStats(push.payload);
        else if (push.event === 'text') handlers.onText?.(push.payload);
      }
    };
    pump().catch((error: unknown) => {
      if (error instanceof KernelUnreachableError) {
        this.client?.close();
        this.client = null;
      }
      if (!stopped) handlers.onError(error instanceof Error ? error : new Error(String(error)));
    });
    return () => {
      stopped = true;
      stop();
    };
  }

  processes(all: boolean): ReturnType<TopSource['processes']> {
    return this.use((c) => c.request('ps', { all }));
  }

  history(pid: number, tail: number): ReturnType<TopSource['history']> {
    return this.use(async (c) => (await c.request('logs', { pid, tail })).events);
  }

  kill(pid: number, tree: boolean): ReturnType<TopSource['kill']> {
    return this.use(async (c) => (await c.request('kill', { pid, tree })).killed);
  }

  approvals(): Promise<NonNullable<Awaited<ReturnType<NonNullable<TopSource['approvals']>>>>> {
    return this.use(async (c) => (await c.request('approvals', {})).approvals);
  }

  answerApproval(id: string, approve: boolean): Promise<void> {
    return this.use(async (c) => {
      if (approve) await c.request('approve', { id });
      else await c.request('deny', { id, reason: 'denied from aos top' });
    });
  }

  proposals(): ReturnType<NonNullable<TopSource['proposals']>> {
    return this.use(async (c) => (await c.request('proposals', {})).proposals);
  }

  undo(id: string): ReturnType<NonNullable<TopSource['undo']>> {
    return this.use((c) => c.request('undo', { id }));
  }

  units(): ReturnType<NonNullable<TopSource['units']>> {
    return this.use(async (c) => (await c.request('unit_ls', {})).units);
  }

  inspect(pid: number): ReturnType<NonNullable<TopSource['inspect']>> {
    return this.use((c) => c.request('inspect', { pid }));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}

/**
 * Ink is loaded only by `aos top` (other verbs skip its start-up cost). On a terminal, `top` is
 * interactive whatever CI says: Ink reads CI once, at import, and would draw nothing until exit.
 */
async function loadInk(): Promise<typeof import('./top/run.js')> {
  if (process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  return importBeside<typeof import('./top/run.js')>('./top/run.js');
}

export async function runTopVerb(flags: { all?: boolean }): Promise<number> {
  const source = new KernelTopSource();
  try {
    // Fail before taking over the screen when the kernel cannot be reached (a pipe gets runTop's advice).
    if (process.stdin.isTTY && process.stdout.isTTY) await source.processes(false);
    const { runTop } = await loadInk();
    return await runTop(source, { all: flags.all ?? false });
  } finally {
    source.close();
  }
}

export const topVerb: VerbSpec = {
  name: 'top',
  summary: 'live dashboard of processes, tokens and cost (q quits)',
  options: [{ flags: '-a, --all', help: 'include processes that have ended' }],
  help: `
Example:
  aos top --all`,
  run: ({ flags }) => runTopVerb(flags as { all?: boolean }),
};
