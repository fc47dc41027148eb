/**
 * The PostgreSQL store (kernel/store/pg) with data the model controls that SQLite stores and
 * reads back, and PostgreSQL does not. Each test runs the same calls on both stores where it can;
 * the SQLite answer is the expected one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { KernelStore } from '../../../kernel/store/api.js';
import { ftsMatch } from '../../../kernel/store/api.js';
import { openStore } from '../../../kernel/store/open.js';
import type { ProcessRecord } from '../../../kernel/store/records.js';
import type { Store } from '../../../kernel/store/store.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { PG_SKIP, postgresPerFile } from '../cluster/pg-fixture.js';

const pgServer = postgresPerFile();
let opened: KernelStore[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

let schemas = 0;
async function pgStore(): Promise<KernelStore> {
  const url = await pgServer.server.createDatabase();
  const { store } = openStore({
    url,
    schema: `aos_node_r${++schemas}`,
    applicationName: 'aos:review',
    file: ':memory:',
  });
  opened.push(store);
  return store;
}

function sqliteStore(): KernelStore {
  const { store } = openStore(':memory:');
  opened.push(store);
  return store;
}

const both = async (): Promise<Array<[string, KernelStore]>> => [
  ['sqlite', sqliteStore()],
  ['postgres', await pgStore()],
];

function record(pid: number, over: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    pid,
    ppid: 0,
    tree: pid,
    name: `n${pid}`,
    role: 'r',
    task: 't',
    model: 'replay:m',
    priority: 0,
    capabilities: '[]',
    pipe_to: null,
    created_at: 1_700_000_000_000,
    started_at: null,
    ended_at: null,
    state: 'running',
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
    ...over,
  };
}

const ev = (pid: number, type: string, extra: Record<string, unknown> = {}): KernelEvent =>
  ({ ts: '2026-11-25T10:00:00.000Z', pid, type, ...extra }) as unknown as KernelEvent;

describe.skipIf(PG_SKIP)('the PostgreSQL store with data a model controls', () => {
  it('RESULT_READ finds a result whose value holds a NUL or a lone surrogate (a binary file read)', async () => {
    for (const [name, store] of await both()) {
      store.events.add(
        ev(1, 'result', { turn: 1, seq: 0, call: 'FS_READ', ok: true, value: { content: '\u0089PNG\u0000\u0001' } }),
      );
      store.events.add(
        ev(1, 'result', { turn: 1, seq: 1, call: 'FS_READ', ok: true, value: { content: 'half a pair \ud800' } }),
      );
      await store.committed();
      // PostgreSQL: json_extract -> (json::json #>> '{turn}') fails on the \u0000 / \ud800 escapes JSON.stringify wrote.
      expect((await store.events.result(1, 1, 0))?.type, name).toBe('result');
      expect((await store.events.result(1, 1, 1))?.type, name).toBe('result');
    }
  });

  it('HISTORY_SEARCH over a tree holding such an event answers (does not throw)', async () => {
    for (const [name, store] of await both()) {
      store.events.add(
        ev(1, 'result', { turn: 1, seq: 0, call: 'FS_READ', ok: true, value: { content: 'zebra \u0000 stripes' } }),
      );
      await store.committed();
      await store.events.indexAll(10);
      const found = await store.events.searchTree('zebra', { pids: [1], since: null, types: ['result'], limit: 5 });
      expect(found.length, name).toBe(1);
    }
  });

  it("recovery's unreaped children and WAIT's reap mark survive a NUL in an exited child's runtime", async () => {
    for (const [name, store] of await both()) {
      const errors: number[] = [];
      (store as Store).hooks = { ...(store as Store).hooks, onWriteError: (pid) => errors.push(pid) };
      store.processes.save(1, () => record(1));
      // A message the child was sent and never read, with a NUL in it, is part of its runtime.
      store.processes.save(2, () =>
        record(2, {
          ppid: 1,
          tree: 1,
          state: 'exited',
          ended_at: 1,
          exit_code: 0,
          runtime: JSON.stringify({ stdin: ['a\u0000b'] }),
        }),
      );
      await store.committed();
      // Called by recover() at every kernel start: on PostgreSQL it throws, so the node cannot start.
      expect(await store.processes.unreapedChildren(), name).toEqual([{ pid: 2, ppid: 1 }]);
      store.processes.markReaped(2);
      await store.committed();
      expect(errors, name).toEqual([]);
      expect(await store.processes.unreapedChildren(), name).toEqual([]);
    }
  });

  it('finds words with non-ASCII letters (full-text search of threads and events)', async () => {
    for (const [name, store] of await both()) {
      store.threads.put(() => ({
        key: 'th',
        created_at: 1,
        created_by: 1,
        entries: 1,
        last_seq: 1,
        last_at: 1,
        summary: '',
        summary_through: 0,
        summary_at: null,
        pending_chars: 0,
        dropped_through: 0,
        summary_outside: 0,
      }));
      store.threads.append({
        key: 'th',
        seq: 1,
        ts: 10,
        pid: 1,
        unit: null,
        kind: 'note',
        text: 'Grüße aus München, Ölpreis',
      });
      store.events.add(ev(1, 'result', { turn: 1, seq: 0, call: 'X', ok: true, value: 'Grüße aus München' }));
      await store.committed();
      await store.events.indexAll(10);
      expect(
        (await store.threads.entries('th', { match: ftsMatch('München') ?? '', limit: 10 })).map((e) => e.seq),
        name,
      ).toEqual([1]);
      expect((await store.events.search('Grüße', { pid: null, before: null, limit: 10 })).length, name).toBe(1);
    }
  });

  it('a journal entry for a long path (the model made it) is a bad row, not a store that stops committing', async () => {
    // A path of 3000 incompressible characters: a btree index row cannot hold it (54000), which
    // retryablePgError calls a link failure, so the store holds every write and retries forever.
    const path = `/${randomBytes(2400)
      .toString('base64url')
      .match(/.{1,200}/g)
      ?.join('/')}`;
    for (const [name, store] of await both()) {
      const s = store as Store;
      store.processes.save(1, () => record(1));
      store.journal.record({ pid: 1, turn: 1, path, before: null, after_hash: null, call: 'EXEC_CMD' });
      store.events.add(ev(1, 'spawn'));
      s.flush();
      expect(store.healthy, `${name}: ${store.lastError?.message}`).toBe(true);
      expect((await store.events.of([1])).length, name).toBe(1);
    }
  });

  it('a queued write that throws a plain Error is dropped and reported, not retried forever', async () => {
    for (const [name, store] of await both()) {
      const s = store as Store;
      const errors: number[] = [];
      s.hooks = { ...s.hooks, onWriteError: (pid) => errors.push(pid) };
      store.processes.save(1, () => record(1));
      // A row builder with a bug (a thread's, a budget's ...): its TypeError has no SQLSTATE.
      s.write(1, () => {
        throw new TypeError("Cannot read properties of undefined (reading 'key')");
      });
      store.events.add(ev(1, 'spawn'));
      s.flush();
      expect(store.healthy, `${name}: ${store.lastError?.message}`).toBe(true);
      expect(errors, name).toEqual([1]);
      expect((await store.events.of([1])).length, name).toBe(1);
    }
  });

  it('keeps indexing events for search after one too big for a tsvector (a 2 MB fetch result)', async () => {
    const words = Array.from({ length: 250_000 }, (_, i) => `w${i.toString(36)}x${(i * 7919).toString(36)}`).join(' ');
    for (const [name, store] of await both()) {
      store.events.add(ev(1, 'result', { turn: 1, seq: 0, call: 'NET_FETCH', ok: true, value: words }));
      store.events.add(ev(1, 'result', { turn: 1, seq: 1, call: 'FS_READ', ok: true, value: 'aardvark' }));
      await store.committed();
      // On PostgreSQL: "string is too long for tsvector" (54000) at every search, forever.
      await store.events.indexAll(10);
      expect((await store.events.search('aardvark', { pid: null, before: null, limit: 10 })).length, name).toBe(1);
    }
  }, 60_000);

  it("the audit trail verifies after recording a call whose subject holds a NUL (the model's command)", async () => {
    for (const [name, store] of await both()) {
      store.audit.record({
        pid: 1,
        call: 'EXEC_CMD',
        subject: 'cat /etc/passwd\u0000.txt',
        decision: 'deny',
        rule: 'r',
        decided_by: 'policy',
        via: null,
        reason: null,
        approval: null,
      } as never);
      store.audit.record({
        pid: 1,
        call: 'EXEC_CMD',
        subject: 'ls',
        decision: 'allow',
        rule: null,
        decided_by: 'policy',
        via: null,
        reason: null,
        approval: null,
      } as never);
      await store.committed();
      // pg-db.ts stores U+0000 as U+FFFD: the row no longer hashes to the hash chained after it — a false tamper alarm.
      expect(store.audit.verify().ok, name).toBe(true);
    }
  });
});
