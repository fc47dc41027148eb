/**
 * The store on PostgreSQL (kernel/store/pg): every facet's reads and writes against a real server,
 * read back as the SQLite store reads them (the same calls run on both, side by side), the
 * database stopped under a commit (writes kept, committed once when it is back), and the fence (a
 * guard that finds no row commits nothing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { KernelStore } from '../../../kernel/store/api.js';
import { openStore } from '../../../kernel/store/open.js';
import type { ProcessRecord } from '../../../kernel/store/records.js';
import { ftsMatch } from '../../../kernel/store/api.js';
import { ftsToTsquery } from '../../../kernel/store/pg/dialect.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { PG_SKIP, postgresPerFile } from '../cluster/pg-fixture.js';

const pgServer = postgresPerFile();
let opened: KernelStore[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

let schemas = 0;
async function postgresStore(
  url?: string,
  guard?: { sql: string; params: unknown[] },
): Promise<{ store: KernelStore; url: string; schema: string }> {
  const at = url ?? (await pgServer.server.createDatabase());
  const schema = `aos_node_t${++schemas}`;
  const { store } = openStore({
    url: at,
    schema,
    applicationName: 'aos:test',
    file: ':memory:',
    ...(guard ? { guard: { ...guard, mustTouch: { code: 'EFENCED', message: 'fenced' } } } : {}),
  });
  opened.push(store);
  return { store, url: at, schema };
}

function sqliteStore(): KernelStore {
  const { store } = openStore(':memory:');
  opened.push(store);
  return store;
}

function record(pid: number, over: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    pid,
    ppid: over.ppid ?? 0,
    tree: over.tree ?? pid,
    name: `name-${pid}`,
    role: 'role',
    task: 'task with \u0000 NUL',
    model: 'replay:model',
    priority: 3,
    capabilities: '["ipc"]',
    pipe_to: null,
    created_at: 1_700_000_000_000 + pid,
    started_at: 1_700_000_000_500,
    ended_at: null,
    state: 'running',
    exit_code: null,
    exit_reason: null,
    output: null,
    turns: 2,
    syscalls: 3,
    prompt_tokens: 100,
    output_tokens: 50,
    cached_tokens: 0,
    cost: 0.125,
    max_turns: 40,
    wait: null,
    model_mix: null,
    runtime: '{"turn":2}',
    ...over,
  };
}

const ev = (pid: number, type: string, extra: Record<string, unknown> = {}): KernelEvent =>
  ({ ts: '2026-11-25T10:00:00.000Z', pid, type, ...extra }) as unknown as KernelEvent;

/** The same writes to a store, and what it reads back: run on both stores, the answers must agree. */
async function exercise(store: KernelStore): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  store.processes.save(1, () => record(1));
  store.processes.save(2, () =>
    record(2, { ppid: 1, tree: 1, state: 'exited', ended_at: 1_700_000_001_000, exit_code: 0, exit_reason: 'exited' }),
  );
  store.processes.save(3, () => record(3, { ppid: 1, tree: 1 }));
  store.processes.save(9, () => record(9, { state: 'killed', ended_at: 1_600_000_000_000, exit_code: 137 }));
  store.transcripts.put(1, 0, 'user', 'the task');
  store.transcripts.put(1, 1, 'model', 'a reply [SYS_CALL::FS_READ] {"path":"/x"}');
  store.transcripts.putResult(1, 0, '{"ok":true}');
  store.transcripts.putResult(1, 1, '{"ok":false}');
  store.events.add(ev(1, 'spawn', { name: 'name-1' }));
  store.events.add({ ...ev(1, 'prompt'), text: 'the task', transcript_seq: 0 } as unknown as KernelEvent);
  store.events.add({
    ...ev(1, 'model'),
    text: 'zebra crossing reply',
    transcript_seq: 1,
    usage: { prompt: 10, output: 5, cached: 1 },
  } as unknown as KernelEvent);
  store.events.add(ev(1, 'result', { turn: 1, seq: 0, call: 'FS_READ', ok: true, value: { content: 'aardvark' } }));
  store.events.add(ev(2, 'exit', { code: 0 }));
  store.mail.addMessage({
    id: 5,
    to_pid: 1,
    channel: 'msg',
    from_pid: 3,
    content: 'hello',
    ts: '2026-11-25T10:00:00.000Z',
  });
  store.mail.putTimer({ pid: 1, id: 't1', fire_at: 1_700_000_009_000, interval_ms: null, prompt: 'wake' });
  store.mail.putTimer({ pid: 1, id: 't1', fire_at: 1_700_000_009_999, interval_ms: 60_000, prompt: 'wake again' });
  store.mail.putWebhook({ id: 1, token: 'tok', pid: 1, path: '/hook', created_at: 1 });
  store.setMeta('running', 1);
  store.processes.markReaped(2);
  store.journal.record({
    pid: 1,
    turn: 1,
    path: '/a.txt',
    before: Buffer.from([0, 1, 2, 255]),
    after_hash: 'h',
    call: 'FS_WRITE',
  });
  store.approvals.add({
    id: 'ap1',
    pid: 1,
    name: 'n',
    call: 'EXEC_CMD',
    args: '{}',
    rule: 'ask',
    requested_at: 'a',
    expires_at: 'b',
    status: 'pending',
    binding: null,
    subject: 'rm -rf /',
  } as never);
  store.units.put({
    name: 'u1',
    spec: '{}',
    enabled: true,
    anchor: 1,
    added_at: 1,
    updated_at: 1,
    checked_at: 5,
  } as never);
  store.units.checked('u1', 3);
  store.units.checked('u1', 8);
  store.units.addRun({
    unit: 'u1',
    trigger: 'by hand',
    scheduled_for: null,
    fired_at: 1,
    pid: 1,
    outcome: 'started',
    reason: null,
  });
  store.spend.put(
    () =>
      ({
        budget: 'b',
        key: 'k',
        window: '2026-11-25',
        usd: 1.5,
        tokens: 10,
        raised_usd: 0,
        raised_tokens: 0,
        warned: 0,
        updated_at: 1,
      }) as never,
  );
  store.idempotency.put({
    scope: 's',
    key: 'k',
    args: '{}',
    pid: 1,
    created_at: 1,
    expires_at: 9_999_999_999_999,
  } as never);
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
    text: 'quarterly revenue figures',
  });
  store.threads.append({ key: 'th', seq: 2, ts: 11, pid: 1, unit: null, kind: 'note', text: 'nothing here' });
  store.threads.link('th', 1, 'wrote');
  store.threads.link('th', 1, 'wrote');
  store.channels.putChannel({ name: 'tg', kind: 'telegram', spec: '{}', account: null, created_at: 1 } as never);
  for (const id of ['a-1', 'a-2'])
    store.channels.putApproverSet({ id, channel: 'tg', unit: 'u1', rule: null, approvers: '["5"]', created_at: 2 });
  store.channels.putApproverSet({
    id: 'a-1',
    channel: 'tg',
    unit: null,
    rule: 'ask: "x"',
    approvers: '["6"]',
    created_at: 3,
  });
  store.channels.removeApproverSet('a-2');
  store.channels.addMessage(
    {
      channel: 'tg',
      direction: 'in',
      chat: 'c1',
      thread: null,
      platform_thread: null,
      message_id: 'm1',
      sender: 's',
      sender_name: 'S',
      text: 'hi',
      status: 'accepted',
      pid: 1,
      at: 1,
    } as never,
    10,
  );
  await store.committed();
  expect(store.healthy).toBe(true);

  out.live = (await store.processes.live()).map((p) => [p.pid, p.state, p.task, p.cost, p.created_at]);
  out.unreaped = await store.processes.unreapedChildren();
  out.totals = await store.processes.endedTotals();
  out.get = await store.processes.get(3);
  out.subtree = await store.processes.subtree(1);
  out.ps = (await store.processes.psColumns()).map((r) => r.pid);
  out.psLast = (await store.processes.psColumns(2)).map((r) => r.pid);
  out.prunable = (await store.processes.prunable(1_650_000_000_000, 10)).map((r) => r.pid);
  out.summaries = (await store.processes.summaries([1, 2])).map((r) => r.pid).sort();
  out.ofTree = (await store.processes.ofTree(1)).map((r) => r.pid).sort();
  out.transcript = await store.transcripts.load(1);
  out.row = await store.transcripts.row(1, 1);
  out.length = await store.transcripts.length(1);
  out.results = await store.transcripts.results(1);
  out.of = (await store.events.of([1])).map((e) => e.type);
  out.ofTail = (await store.events.of([1, 2], 2)).map((e) => e.type);
  out.promptText = ((await store.events.of([1])).find((e) => e.type === 'prompt') as { text?: string }).text;
  out.recent = (await store.events.recent(2)).map((e) => e.type);
  out.result = (await store.events.result(1, 1, 0))?.type;
  out.before = (await store.events.before({ pid: 1, before: null, limit: 2 })).length;
  out.after = (await store.events.after(0, 100)).length;
  out.lastId = await store.events.lastId();
  out.usage = (await store.events.usage(100)).map((u) => [u.pid, u.model, u.prompt, u.output, u.cached]);
  await store.events.indexAll(2);
  out.search = (await store.events.search('a repl', { pid: null, before: null, limit: 10 })).length;
  out.searchPid = (await store.events.search('aardvark', { pid: 1, before: null, limit: 10 })).length;
  out.searchNone = (await store.events.search('walrus', { pid: null, before: null, limit: 10 })).length;
  out.searchTree = (
    await store.events.searchTree('aardvark', { pids: [1], since: null, types: ['result'], limit: 5 })
  ).length;
  out.messages = await store.mail.messages();
  out.timers = await store.mail.timers();
  out.webhooks = await store.mail.webhooks();
  out.meta = await store.meta('running');
  const journal = store.journal.entries([1]);
  out.journal = journal.map((j) => [j.path, Buffer.from(j.before ?? []).toString('hex'), j.before_kind]);
  out.pending = store.approvals.loadPending().map((a) => [a.id, a.subject]);
  out.units = (await store.units.all()).map((u) => [u.name, u.checked_at]);
  out.runs = store.units.runs('u1', 5).map((r) => r.trigger);
  out.started = await store.units.started();
  out.spend = (await store.spend.windows(['2026-11-25'])).map((s) => [s.budget, s.usd]);
  out.spendHistory = store.spend.history('b', 5).length;
  out.keys = (await store.idempotency.live(0)).map((k) => k.key);
  out.threads = (await store.threads.all()).map((t) => t.key);
  out.entries = (await store.threads.entries('th', { limit: 10 })).map((e) => e.seq);
  out.entriesMatch = (await store.threads.entries('th', { match: ftsMatch('revenue') ?? '', limit: 10 })).map(
    (e) => e.seq,
  );
  out.threadSearch = (await store.threads.search(['th'], ftsMatch('quarter') ?? '', { sinceTs: 0, limit: 10 })).map(
    (e) => e.seq,
  );
  out.links = store.threads.links([1]);
  out.byKey = store.threads.byKey('th');
  out.channels = (await store.channels.load()).channels.map((c) => c.name);
  out.approverSets = (await store.channels.load()).approverSets;
  out.channelMessages = (await store.channels.messages('tg', { limit: 5 })).map((m) => m.text);
  out.origins = (await store.channels.origins()).map((m) => m.pid);
  out.known = await store.channels.knownChats();
  out.counts = await store.channels.counts();
  const audit = store.audit.record({
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
  out.auditList = store.audit.list({ limit: 10 }).map((r) => r.subject);
  out.auditId = audit.id;
  out.verify = store.audit.verify().ok;

  // Removals and deletes.
  store.mail.deleteMessages([5]);
  store.mail.deleteTimer(1, 't1');
  store.transcripts.clearResults(1);
  store.processes.remove([9]);
  store.threads.trim('th', 1);
  store.journal.remove(journal.map((j) => j.id));
  store.idempotency.forget('s');
  store.units.remove('u1');
  store.channels.removeChannel('tg');
  await store.committed();
  out.afterRemove = {
    messages: (await store.mail.messages()).length,
    timers: (await store.mail.timers()).length,
    results: (await store.transcripts.results(1)).length,
    gone: (await store.processes.get(9)) === undefined,
    entries: (await store.threads.entries('th', { limit: 10 })).map((e) => e.seq),
    journal: store.journal.entries([1]).length,
    units: (await store.units.all()).length,
    channels: (await store.channels.load()).channels.length,
    approverSets: (await store.channels.load()).approverSets.length,
    keys: (await store.idempotency.live(0)).length,
  };
  return out;
}

describe.skipIf(PG_SKIP)('the store on PostgreSQL', () => {
  it('reads back what every facet wrote, as the SQLite store does', async () => {
    const { store } = await postgresStore();
    const onPg = await exercise(store);
    const onSqlite = await exercise(sqliteStore());
    // PostgreSQL's text holds no NUL: the store escapes it, so it reads back as written.
    const live = onPg.live as unknown[][];
    expect(live[0]?.[2]).toBe('task with \u0000 NUL');
    expect(onPg).toEqual(onSqlite);
    expect(onPg.search).toBe(1);
    expect(onPg.entriesMatch).toEqual([1]);
    expect(onPg.promptText).toBe('the task');
    // Approver sets (issue 52): replaced by id, removed, and gone with their channel.
    expect(onPg.approverSets).toEqual([
      { id: 'a-1', channel: 'tg', unit: null, rule: 'ask: "x"', approvers: '["6"]', created_at: 3 },
    ]);
    expect(onPg.afterRemove).toMatchObject({ approverSets: 0 });
  });

  it('hands out pids and message ids no other store on the database hands out', async () => {
    const a = await postgresStore();
    const b = await postgresStore(a.url);
    const pids = new Set<number>();
    for (let i = 0; i < 40; i++) {
      pids.add(a.store.ids.nextPid());
      pids.add(b.store.ids.nextPid());
    }
    expect(pids.size).toBe(80);
    expect(a.store.ids.nextMessageId()).not.toBe(b.store.ids.nextMessageId());
    // Each schema holds only its own rows.
    a.store.processes.save(1, () => record(1));
    await a.store.committed();
    expect(await b.store.processes.live()).toEqual([]);
  });

  it('keeps its writes while the database is down and commits them once when it is back', async () => {
    const { store } = await postgresStore();
    store.processes.save(1, () => record(1));
    store.events.add(ev(1, 'spawn'));
    await store.committed();
    const health: boolean[] = [];
    store.hooks = { ...store.hooks, onHealth: (ok) => health.push(ok) };
    const restart = pgServer.server.restart(1_500);
    await new Promise((r) => setTimeout(r, 300));
    store.events.add(ev(1, 'model', { text: 'while down' }));
    store.transcripts.put(1, 5, 'model', 'while down');
    expect(store.flush()).toBe(false);
    expect(store.healthy).toBe(false);
    await restart;
    await store.committed();
    expect(store.healthy).toBe(true);
    expect(health).toEqual([false, true]);
    expect((await store.events.of([1])).map((e) => e.type)).toEqual(['spawn', 'model']);
    expect(await store.transcripts.row(1, 5)).toBe('while down');
  });

  it('commits nothing once its guard finds no row (a fenced node), and says why', async () => {
    const url = await pgServer.server.createDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('CREATE TABLE public.fence (epoch bigint)');
      await admin.query('INSERT INTO public.fence VALUES (1)');
      const { store } = await postgresStore(url, {
        sql: 'SELECT 1 FROM public.fence WHERE epoch = $1 FOR SHARE',
        params: [1],
      });
      store.processes.save(1, () => record(1));
      expect(store.flush()).toBe(true);
      await admin.query('UPDATE public.fence SET epoch = 2');
      store.processes.save(2, () => record(2));
      store.events.add(ev(2, 'spawn'));
      expect(store.flush()).toBe(false);
      expect(store.lastError?.message).toContain('fenced');
      expect(await store.processes.get(2)).toBeUndefined();
      expect(await store.events.of([2])).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('writes a bad row alone and reports it, committing the rest', async () => {
    const { store } = await postgresStore();
    const errors: number[] = [];
    store.hooks = { ...store.hooks, onWriteError: (pid) => errors.push(pid) };
    store.processes.save(1, () => record(1));
    // A cost that is not a number cannot be stored: that row fails, on its own.
    store.processes.save(2, () => record(2, { cost: 'not a number' as unknown as number }));
    store.events.add(ev(1, 'spawn'));
    expect(store.flush()).toBe(true);
    expect(errors).toEqual([2]);
    expect((await store.processes.get(1))?.pid).toBe(1);
    expect((await store.events.of([1])).length).toBe(1);
  });
});

describe('FTS5 matches as tsqueries', () => {
  it('keeps every word required and the last a prefix, operators as plain text', () => {
    expect(ftsToTsquery(ftsMatch('zebra cross'))).toBe("'zebra' & 'cross':*");
    expect(ftsToTsquery(ftsMatch('a-b "c" OR d'))).toBe("'a' <-> 'b' & 'c' & 'or' & 'd':*");
    expect(ftsToTsquery(ftsMatch("it's"))).toBe("'it' <-> 's':*");
    expect(ftsToTsquery('"!!!"')).toBeNull();
  });
});
