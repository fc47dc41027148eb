/** A process's row is written whole at spawn and updated in place after (an upsert bound by position). */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessRecord } from '../../../kernel/store/records.js';
import { Store } from '../../../kernel/store/store.js';

let store: Store | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

/** A record whose every column holds a value of its own, so that a column bound in another's place shows. */
function record(pid: number, turns: number): ProcessRecord {
  return {
    pid,
    ppid: pid + 100,
    tree: pid + 200,
    name: `name-${pid}`,
    role: 'role',
    task: 'task',
    model: 'replay:model',
    priority: 3,
    capabilities: '["ipc"]',
    pipe_to: pid + 300,
    created_at: 1_000,
    started_at: 2_000 + turns,
    ended_at: turns > 1 ? 3_000 : null,
    state: turns > 1 ? 'exited' : 'running',
    exit_code: turns > 1 ? 0 : null,
    exit_reason: turns > 1 ? 'exited' : null,
    output: `out ${turns}`,
    turns,
    syscalls: turns + 10,
    prompt_tokens: turns + 20,
    output_tokens: turns + 30,
    cached_tokens: turns + 40,
    cost: turns / 8,
    max_turns: 100 + turns,
    wait: turns === 1 ? '{"kind":"msg"}' : null,
    model_mix: null,
    runtime: `{"turn":${turns}}`,
  };
}

describe('process rows', () => {
  it('read back column for column, on the first write and on each update', async () => {
    store = Store.open(':memory:');
    for (const turns of [0, 1, 2]) {
      store.processes.save(7, () => record(7, turns));
      expect(store.flush()).toBe(true);
      expect(await store.processes.get(7)).toEqual(record(7, turns));
    }
    expect(await store.processes.live()).toEqual([]);
  });
});
