/**
 * Events as the page gets them: `{"id":N,"e":<the event's JSON as stored>}`, and for a model reply
 * the process's model and the reply's cost (the turn waterfall's figures, priced like the budgets).
 */
import { costOf } from '../../drivers/llm/prices.js';
import type { ModelUsage } from '../../drivers/llm/types.js';
import { BoundedMap } from '../../sys/bounded-map.js';
import type { EventRow, KernelApi } from '../../kernel/api.js';

/** A process's model: from the table or the models read ahead (`load`), remembered for the pids seen lately. */
export interface ModelOf {
  (pid: number): string | undefined;
  /** Read ahead, from the store (awaited), the models of these rows' replies whose process the table no longer holds. */
  load(rows: readonly EventRow[]): Promise<void>;
}

/** pid → model, from the process table or the store, remembered for the pids seen lately. */
export function modelLookup(kernel: KernelApi): ModelOf {
  const cache = new BoundedMap<number, string>(4_096);
  const of = (pid: number): string | undefined => {
    const model = cache.get(pid) ?? kernel.pcb(pid)?.model;
    if (model !== undefined) cache.set(pid, model);
    return model;
  };
  const load = async (rows: readonly EventRow[]): Promise<void> => {
    const pids = new Set<number>();
    for (const row of rows) {
      const head = row.json.slice(0, 120);
      const pid = head.includes('"type":"model"')
        ? Number(/"pid":(\d+)/.exec(head)?.[1] ?? (JSON.parse(row.json) as { pid: number }).pid)
        : NaN;
      if (Number.isInteger(pid) && of(pid) === undefined) pids.add(pid);
    }
    const models = await Promise.all(
      [...pids].map(async (pid) => [pid, (await kernel.store.processes.get(pid))?.model] as const),
    );
    for (const [pid, model] of models) if (model !== undefined) cache.set(pid, model);
  };
  return Object.assign(of, { load });
}

/** Only a model reply is parsed (its usage is at the end); every other event goes out as stored. */
export function frameJson(row: EventRow, modelOf: ModelOf): string {
  if (row.json.slice(0, 80).includes('"type":"model"')) {
    const event = JSON.parse(row.json) as { pid: number; usage?: ModelUsage; model?: string };
    // A laddered process's turn names the rung it ran on: its price is that rung's.
    const model = event.model ?? modelOf(event.pid);
    if (model !== undefined) {
      const cost = costOf(model, event.usage);
      return `{"id":${row.id},"model":${JSON.stringify(model)},"cost":${cost},"e":${row.json}}`;
    }
  }
  return `{"id":${row.id},"e":${row.json}}`;
}

export function framesJson(rows: readonly EventRow[], modelOf: ModelOf): string {
  return `[${rows.map((row) => frameJson(row, modelOf)).join(',')}]`;
}
