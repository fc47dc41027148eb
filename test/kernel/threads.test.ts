/**
 * Context threads (issue 33) through a real kernel and replay tapes: an intake agent writes to
 * `client:acme`, a billing agent that attaches it starts with its summary and newest entries; a
 * capability for one thread reaches no other; an attached thread of 10,000 entries stays inside its
 * share of the context budget; the threads outlive a kernel restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../drivers/llm/types.js';
import { estimateTokens } from '../../kernel/context/context-budget.js';
import { param } from '../../sys/param.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const CAPS = { rootCapabilities: [...ALL_CAPS, 'thread:**'] };
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const value = (k: Harness, pid: number, name: string): unknown => k.results(pid).find((r) => r.name === name);

describe('threads', () => {
  it('hands off through a thread: what intake appends, billing is shown in its first prompt, with who wrote it', async () => {
    h = await startHarness(
      {
        intake: [
          call('THREAD_APPEND', {
            key: 'client:acme',
            text: 'Acme Corp signed: net 30 terms, 12 seats',
            kind: 'decision',
          }) +
            '\n' +
            call('THREAD_APPEND', { key: 'client:acme', text: 'contact: dana@acme.example' }),
          EXIT,
        ],
        billing: [
          {
            reply: call('THREAD_READ', { key: 'client:acme', since: 1 }),
            expect: ['[THREAD client:acme] 2 entries', 'net 30 terms, 12 seats', '"kind":"decision"', 'data'],
          },
          EXIT,
        ],
      },
      CAPS,
    );
    const intake = await h.run({ name: 'intake' });
    expect(intake.exitCode).toBe(0);
    expect(value(h, intake.pid, 'THREAD_APPEND')).toMatchObject({
      ok: true,
      value: { key: 'client:acme', seq: 1, created: true },
    });
    const billing = await h.run({ name: 'billing', attach: ['client:acme'] });
    expect(billing.exitReason).not.toMatch(/expectation/);
    expect(billing.exitCode).toBe(0);
    const read = value(h, billing.pid, 'THREAD_READ') as {
      value: { entries: Array<{ seq: number; pid: number; text: string }> };
    };
    expect(read.value.entries).toEqual([
      expect.objectContaining({ seq: 2, pid: intake.pid, text: 'contact: dana@acme.example' }),
    ]);
    expect(h.kernel.threads.linksOf([intake.pid, billing.pid])).toEqual([
      { key: 'client:acme', pid: intake.pid, how: 'wrote' },
      { key: 'client:acme', pid: billing.pid, how: 'attached' },
      { key: 'client:acme', pid: billing.pid, how: 'opened' },
    ]);
  });

  it('a process holding thread:client:beta gets EPERM on client:acme, in every call and every spelling', async () => {
    h = await startHarness(
      {
        beta: [
          [
            call('THREAD_APPEND', { key: 'client:beta', text: 'ok' }),
            call('THREAD_OPEN', { key: 'client:acme' }),
            call('THREAD_READ', { key: 'client:acme' }),
            call('THREAD_APPEND', { key: 'client:acme', text: 'x' }),
            call('THREAD_OPEN', { key: 'Client:Acme' }),
            call('THREAD_OPEN', { key: 'client:beta/../acme' }),
            call('THREAD_OPEN', { key: 'client:beta:..' }),
            call('THREAD_LIST', {}),
          ].join('\n'),
          EXIT,
        ],
      },
      CAPS,
    );
    h.kernel.threads.append('client:acme', { text: 'secret terms', pid: 0, unit: null });
    const pcb = await h.run({ name: 'beta', capabilities: ['thread:client:beta'] });
    const results = h.results(pcb.pid).filter((r) => r.name !== 'SYS_EXIT');
    expect(results.map((r) => (r.ok ? 'ok' : r.errno))).toEqual([
      'ok',
      'EPERM',
      'EPERM',
      'EPERM',
      'EINVAL',
      'EINVAL',
      'EINVAL',
      'ok',
    ]);
    expect(results.at(-1)?.value).toEqual({ threads: [expect.objectContaining({ key: 'client:beta' })] });
    expect(JSON.stringify(h.events.filter((e) => e.pid === pcb.pid))).not.toContain('secret terms');
    // Attaching is reading: a child cannot be given a thread its parent does not hold.
    await expect(
      h.spawn({ name: 'beta', capabilities: ['thread:client:beta'], attach: ['client:acme'] }),
    ).resolves.toMatchObject({ capabilities: expect.arrayContaining(['thread:client:acme']) });
    const narrow = await startHarness({}, { rootCapabilities: [...ALL_CAPS, 'thread:client:beta'] });
    try {
      await expect(narrow.spawn({ attach: ['client:acme'] })).rejects.toThrow(
        /cannot attach thread "client:acme": it needs capability thread:client:acme/,
      );
    } finally {
      await narrow.close();
    }
  });

  it('a child is attached only to threads its parent holds', async () => {
    h = await startHarness(
      {
        parent: [
          [
            call('SPAWN_AGENT', { role: 'billing', name: 'child', attach: ['client:acme'] }),
            call('SPAWN_AGENT', { role: 'billing', name: 'child', attach: 'client:beta' }),
          ].join('\n'),
          EXIT,
        ],
        child: [EXIT],
      },
      CAPS,
    );
    const pcb = await h.run({ name: 'parent', capabilities: [...ALL_CAPS, 'thread:client:beta'] });
    expect(
      h
        .results(pcb.pid)
        .filter((r) => r.name === 'SPAWN_AGENT')
        .map((r) => (r.ok ? 'ok' : `${r.errno}: ${r.message}`)),
    ).toEqual([expect.stringMatching(/^EPERM: cannot attach thread "client:acme"/), 'ok']);
  });

  it('an attached thread of 10,000 entries never takes the request over the context budget', async () => {
    const requests: ModelRequest[] = [];
    h = await startHarness({ big: [EXIT] }, CAPS);
    for (let i = 1; i <= 10_000; i++)
      h.kernel.threads.append('client:big', {
        text: `entry ${i}: ${'lorem ipsum '.repeat(20)}`,
        pid: 0,
        unit: null,
        kind: i % 10 === 0 ? 'decision' : 'note',
      });
    h.kernel.threads.summarized('client:big', `summary ${'x'.repeat(20_000)}`, 9_990, 0, { pid: 0 });
    const driver = await h.kernel.models.get(`replay:${h.tape}`);
    const complete = driver.complete.bind(driver);
    driver.complete = (request) => {
      requests.push(request);
      return complete(request);
    };
    const contextTokens = param.minContextTokens;
    const pcb = await h.run({ name: 'big', attach: ['client:big'], contextTokens });
    expect(pcb.exitCode).toBe(0);
    const first = requests[0] as ModelRequest;
    expect(estimateTokens(first.system, first.messages)).toBeLessThanOrEqual(contextTokens);
    const block = first.system.slice(first.system.indexOf('Threads attached to you'));
    expect(block.length).toBeLessThanOrEqual(contextTokens * param.contextCharsPerToken * param.threadAttachShare);
    expect(block).toContain('[THREAD client:big] 10000 entries');
    expect(block).toContain('"seq":10000');
    expect(block).toContain('summary_cut_chars');
    // What neither the summary nor the lines shown cover is named, with the call that reads it.
    expect(block).toMatch(
      /a summary of entries 1-99\d\d, then entries 99\d\d-10000, then \d entries between not shown \(THREAD_READ \{"key": "client:big", "since": 99\d\d\} reads them\)/,
    );
  });

  it('shows every entry its summary does not cover yet, not only the newest few', async () => {
    h = await startHarness(
      { reader: [{ reply: EXIT, expect: ['a summary of entries 1-10, then entries 11-30:', '"seq":11,'] }] },
      CAPS,
    );
    for (let i = 1; i <= 30; i++)
      h.kernel.threads.append('client:acme', { text: `short note ${i}`, pid: 0, unit: null });
    h.kernel.threads.summarized('client:acme', 'notes 1 to 10', 10, 130, { pid: 0 });
    const pcb = await h.run({ name: 'reader', attach: ['client:acme'] });
    expect(pcb.exitReason).not.toMatch(/expectation/);
    expect(pcb.exitCode).toBe(0);
  });

  it('keeps threads, entries and summaries across a kernel restart', async () => {
    const keep = await mkdtemp(path.join(os.tmpdir(), 'aos-threads-'));
    const storeFile = path.join(keep, 'aos.db');
    try {
      h = await startHarness(
        { w: [call('THREAD_APPEND', { key: 'invoice:2026-117', text: 'sent to Acme', kind: 'result' }), EXIT] },
        { ...CAPS, storeFile },
      );
      await h.run({ name: 'w' });
      h.kernel.threads.summarized('invoice:2026-117', 'invoice sent', 1, 12, { pid: 0 });
      await h.close();
      h = await startHarness({}, { ...CAPS, storeFile });
      expect(h.kernel.threads.info('invoice:2026-117')).toMatchObject({
        entries: 1,
        last_seq: 1,
        summary_through: 1,
        summary_chars: 12,
      });
      expect((await h.kernel.threads.open('invoice:2026-117')).recent).toEqual([
        expect.objectContaining({ seq: 1, kind: 'result', text: 'sent to Acme' }),
      ]);
      expect(h.kernel.threads.append('invoice:2026-117', { text: 'paid', pid: 0, unit: null })).toEqual({
        seq: 2,
        created: false,
      });
    } finally {
      await h?.close();
      h = null;
      await rm(keep, { recursive: true, force: true });
    }
  });

  it('brings the rolling summary up to date before a turn of a process using the thread, shown as a thread event', async () => {
    const long = 'y'.repeat(1_000);
    const appends = Array.from({ length: 12 }, (_, i) =>
      call('THREAD_APPEND', { key: 'project:x', text: `step ${i} ${long}` }),
    ).join('\n');
    h = await startHarness({ w: [appends, call('THREAD_OPEN', { key: 'project:x' }), EXIT] }, CAPS);
    const pcb = await h.run({ name: 'w' });
    const summarized = h.events.filter((e) => e.type === 'thread' && e.action === 'summarized');
    // Entries of ~1,008 characters: the newest two fit threadRecentChars and stay verbatim, the rest is folded.
    expect(param.threadRecentChars).toBeGreaterThanOrEqual(2 * 1_008);
    expect(param.threadRecentChars).toBeLessThan(3 * 1_008);
    expect(summarized).toEqual([expect.objectContaining({ pid: pcb.pid, key: 'project:x', through: 10 })]);
    const open = value(h, pcb.pid, 'THREAD_OPEN') as {
      value: { summary: string; summary_through: number; recent: Array<{ seq: number }> };
    };
    expect(open.value.summary_through).toBe(10);
    expect(open.value.summary).toContain('#1 note by pid');
    // Each entry once: in the summary or whole.
    expect(open.value.recent.map((e) => e.seq)).toEqual([11, 12]);
  });
});
