/**
 * The ids the store hands out (ids.ts): a pid is never handed out twice — not after a restart, not
 * after its rows were removed — and message ids go on after the ones in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../kernel/store/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aos-ids-'));
  dirs.push(dir);
  return join(dir, 'aos.db');
}

describe('store ids', () => {
  it('hands out each pid once, across a reopen and after the rows are removed', () => {
    const file = storeFile();
    const first = Store.open(file);
    expect([first.ids.nextPid(), first.ids.nextPid(), first.ids.nextPid()]).toEqual([1, 2, 3]);
    expect(first.ids.lastPid()).toBe(3);
    first.processes.remove([1, 2, 3]);
    expect(first.close()).toBe(true);

    const second = Store.open(file);
    expect(second.ids.lastPid()).toBe(3);
    expect(second.ids.nextPid()).toBe(4);
    second.close();
  });

  it('goes on after the highest stored pid when the meta row is behind it (a store written before next_pid)', () => {
    const file = storeFile();
    const first = Store.open(file);
    first.processes.save(41, () => ({
      pid: 41,
      ppid: 0,
      tree: 41,
      name: 'old',
      role: 'worker',
      task: 't',
      model: 'm',
      priority: 5,
      capabilities: '[]',
      pipe_to: null,
      created_at: 1,
      started_at: null,
      ended_at: null,
      state: 'ready',
      exit_code: null,
      exit_reason: null,
      output: null,
      turns: 0,
      syscalls: 0,
      prompt_tokens: 0,
      output_tokens: 0,
      cached_tokens: 0,
      cost: 0,
      max_turns: 10,
      wait: null,
      model_mix: null,
      runtime: '{}',
    }));
    first.close();
    const second = Store.open(file);
    expect(second.ids.nextPid()).toBe(42);
    second.close();
  });

  it('numbers messages after the highest one still in flight', async () => {
    const file = storeFile();
    const first = Store.open(file);
    for (let i = 0; i < 3; i++) {
      const id = first.ids.nextMessageId();
      first.mail.addMessage({
        id,
        to_pid: 1,
        channel: 'msg',
        from_pid: 2,
        content: `m${id}`,
        ts: '2026-01-01T00:00:00Z',
      });
    }
    first.close();
    const second = Store.open(file);
    expect((await second.mail.messages()).map((m) => m.id)).toEqual([1, 2, 3]);
    expect(second.ids.nextMessageId()).toBe(4);
    second.close();
  });
});
