/**
 * Events as the page gets them: `{"id":N,"e":<the event's JSON as stored>}`, and for a model reply
 * the process's model and the reply's cost (the turn waterfall's figures, priced like the budgets).
 */
import { costOf } from '../../drivers/llm/prices.js';
import type { ModelUsage } from '../../drivers/llm/types.js';
import { BoundedMap } from '../../sys/bounded-map.js';
import type { EventRow, KernelApi } from '../../kernel/api.js';

export type ModelOf = (pid: number) => string | undefined;

/** pid → model, from the process table or the store, remembered for the pids seen lately. */
export function modelLookup(kernel: KernelApi): ModelOf {
  const cache = new BoundedMap<number, string>(4_096);
  return (pid) => {
    const known = cache.get(pid);
    if (known !== undefined) return known;
    const model = kernel.pcb(pid)?.model ?? kernel.store.processes.get(pid)?.model;
    if (model !== undefined) cache.set(pid, model);
    return model;
  };
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
