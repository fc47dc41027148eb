/** Handlers of the threads' methods (protocol/thread-protocol.ts); spread into methods.ts's table with one line. */
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';

type ThreadMethod = 'thread_ls' | 'thread_show' | 'thread_append' | 'thread_rm';
type ThreadHandlers = {
  [M in ThreadMethod]: (params: ParsedParamsOf<M>, ctx: { kernel: KernelApi }) => ResultOf<M> | Promise<ResultOf<M>>;
};

/** Entries `aos thread show` gives without --limit. */
const SHOWN = 20;

export const threadHandlers: ThreadHandlers = {
  thread_ls: (params, { kernel }) => ({ threads: kernel.threads.list(params.prefix ?? '') }),
  thread_show: async (params, { kernel }) => {
    const thread = kernel.threads.info(params.key);
    const limit = params.limit ?? SHOWN;
    const page = await kernel.threads.read(params.key, {
      ...(params.since === undefined ? {} : { afterSeq: params.since }),
      limit,
    });
    const last = page.entries[page.entries.length - 1];
    const more = params.since !== undefined && last !== undefined && last.seq < page.last_seq;
    // Awaited: on PostgreSQL the kernel's thread goes on while the database answers.
    const processes = (await kernel.threads.linksAwaited.byKey(params.key)).map(({ pid, how }) => ({ pid, how }));
    return {
      thread,
      summary: kernel.threads.get(params.key)?.summary ?? '',
      entries: page.entries,
      next_since: more ? last.seq : null,
      processes,
    };
  },
  thread_append: async (params, { kernel }) => {
    const { seq, created } = kernel.threads.append(params.key, {
      text: params.text,
      kind: params.kind,
      pid: 0,
      unit: null,
    });
    await kernel.store.committed();
    return { key: params.key, seq, created };
  },
  thread_rm: async (params, { kernel }) => {
    const thread = kernel.threads.remove(params.key, 0);
    await kernel.store.committed();
    return { thread };
  },
};

/** The threads a process used, each with how (`aos inspect`), read awaited. */
export async function threadsOf(
  kernel: KernelApi,
  pid: number,
): Promise<Array<{ key: string; how: Array<'attached' | 'opened' | 'wrote'> }>> {
  const byKey = new Map<string, Array<'attached' | 'opened' | 'wrote'>>();
  for (const link of await kernel.threads.linksAwaited.links([pid]))
    byKey.set(link.key, [...(byKey.get(link.key) ?? []), link.how]);
  return [...byKey].map(([key, how]) => ({ key, how }));
}
