/**
 * Issue 47.8: a recording holds every byte the model was sent, and `aos eval` sends exactly that.
 * A run on a provider (the fake OpenAI-compatible server) with an attached thread in its system
 * prompt, its context compacted (the provider's summary leads it after), a ladder of two models
 * and a turn cut to fit: each turn's request rebuilt from the tape — its system prompt, then its
 * messages — is byte for byte what the provider received; played back by eval, the provider
 * receives the same bytes again. (Before, record rebuilt the system prompt without the thread, and
 * eval sent [sent₀, reply₀, sent₁, …] past a compaction: both comparisons failed.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseTape, type TapeEntry } from '../../../drivers/llm/replay-tape.js';
import type { ModelMessage } from '../../../drivers/llm/types.js';
import { Kernel } from '../../../kernel/kernel.js';
import { evalTapes } from '../../../kernel/tapes/eval.js';
import { recordTape } from '../../../kernel/tapes/record.js';
import { type FakeProvider, type FakeRequestContext, startFakeProvider } from '../../fakes/fake-provider.js';

let fake: FakeProvider;
let kernel: Kernel | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-record-bytes-'));
  fake = await startFakeProvider({});
  // Small windows, as a user states a local model's: compaction comes within a few turns.
  const prices = path.join(dir, 'prices.json');
  await writeFile(
    prices,
    JSON.stringify({
      'cheap-small': { prompt: 0, output: 0, context: 12_000 },
      'strong-small': { prompt: 0, output: 0, context: 12_000 },
    }),
  );
  vi.stubEnv('AOS_PRICES', prices);
  vi.stubEnv('OPENAI_BASE_URL', `${fake.url}/v1`);
  vi.stubEnv('OPENAI_API_KEY', 'sk-test');
});
afterEach(async () => {
  await kernel?.shutdown();
  kernel = undefined;
  await fake.close();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

const isAgent = (system: string): boolean => system.startsWith('You are process');
const keyOf = (system: string, messages: readonly ModelMessage[]): string => JSON.stringify([system, messages]);

/** Each turn's request as eval rebuilds it from the tape: the system prompt last recorded, the context or the turn before's messages grown by its reply and `sent`. */
function requestsOf(
  entries: readonly TapeEntry[],
  system: string,
): Array<{ system: string; messages: ModelMessage[] }> {
  let messages: ModelMessage[] = [];
  let last = system;
  return entries.map((entry, i) => {
    last = entry.system ?? last;
    const before = entries[i - 1];
    messages = entry.context
      ? [...entry.context]
      : [
          ...messages,
          ...(before ? [{ role: 'model' as const, text: before.reply }] : []),
          { role: 'user', text: entry.sent ?? '' },
        ];
    return { system: last, messages };
  });
}

describe('a recording holds every byte the model was sent', () => {
  it('with an attached thread, a compaction, a ladder and a cut: the tape rebuilds each request exactly, and eval sends the same bytes', async () => {
    const workspace = path.join(dir, 'ws');
    await mkdir(workspace, { recursive: true });
    await writeFile(path.join(workspace, 'big.txt'), 'a line of the file, "quoted"\n'.repeat(2_000));
    // The replies by what was asked, so that eval, sent the same bytes, is answered the same.
    const answers = new Map<string, string>();
    let turns = 0;
    const reply = ({ system, messages }: FakeRequestContext): string => {
      if (!isAgent(system)) return 'SUMMARY-FROM-PROVIDER: read big.txt again and again.';
      const key = keyOf(system, messages);
      const known = answers.get(key);
      if (known !== undefined) return known;
      turns++;
      // A malformed call climbs the ladder for a few turns; a huge reply makes the next request cut it to fit.
      const text =
        turns === 2
          ? '[SYS_CALL::FS_READ] {"path": oops}'
          : turns === 9
            ? `${'A long thought. '.repeat(3_000)}\n[SYS_CALL::FS_LIST] {"path":"/"}`
            : turns < 12
              ? `Reading (${turns}).\n[SYS_CALL::FS_READ] {"path":"big.txt"}`
              : '[SYS_CALL::SYS_EXIT] {"code":0}';
      answers.set(key, text);
      return text;
    };
    fake.setBehavior({ reply });
    kernel = await Kernel.create({
      workspace,
      rootCapabilities: ['fs.read:/**', 'thread:client:*'],
      modelRetry: { backoffBaseMs: 5, backoffMaxMs: 50 },
    });
    kernel.threads.append('client:acme', { text: 'Acme pays net 30; 12 seats; renewal in March.', pid: 0, unit: null });
    kernel.threads.append('client:acme', {
      text: 'Decision: keep the annual plan.',
      pid: 0,
      unit: null,
      kind: 'decision',
    });
    const spawned = await kernel.spawn({
      task: 'read the file',
      model: 'auto',
      ladder: ['openai:cheap-small', 'openai:strong-small'],
      attach: ['client:acme'],
    });
    const pcb = await kernel.waitExit(spawned.pid);
    expect(pcb.exitCode).toBe(0);
    const sent = fake.requests.filter((r) => isAgent(r.system));
    expect(sent).toHaveLength(12);
    // What the run was meant to show: the thread in the system prompt, a compaction, both rungs, a cut.
    expect(sent[0]?.system).toContain('[THREAD client:acme]');
    expect(fake.requests.some((r) => r.system.startsWith('You compress'))).toBe(true);
    expect(sent.some((r) => r.messages[0]?.text.includes('[SUMMARY] SUMMARY-FROM-PROVIDER'))).toBe(true);
    expect(new Set(sent.map((r) => r.model))).toEqual(new Set(['cheap-small', 'strong-small']));
    expect(sent.some((r) => r.messages.some((m) => m.text.includes('characters of this message were cut')))).toBe(true);

    const recording = await recordTape(kernel, pcb.pid);
    const tape = parseTape(recording.tape, 'run.yaml');
    const entries = tape.agents.get(tape.recorded?.agent ?? '') ?? [];
    expect(entries).toHaveLength(12);
    expect(tape.recorded?.system).toBe(sent[0]?.system);
    const rebuilt = requestsOf(entries, tape.recorded?.system ?? '');
    for (const [turn, request] of rebuilt.entries()) {
      expect({ turn, ...request }).toEqual({ turn, system: sent[turn]?.system, messages: sent[turn]?.messages });
    }
    // Most turns add nothing to the stream: the full context only where the list was not the last one grown by two.
    const whole = entries.filter((e) => e.context !== undefined).length;
    expect(whole).toBeGreaterThan(0);
    expect(whole).toBeLessThan(entries.length);

    // Played back: the provider receives the same bytes, turn by turn, and the run follows to the end.
    const file = path.join(dir, 'run.yaml');
    await writeFile(file, recording.tape);
    fake.requests.length = 0;
    const [run] = await evalTapes(kernel, { tapes: [file], models: ['openai:strong-small'] });
    expect(run).toMatchObject({ turns: 12, diverged: null, ended: { state: 'exited', code: 0 } });
    const played = fake.requests.filter((r) => isAgent(r.system));
    expect(played.map((r) => keyOf(r.system, r.messages))).toEqual(sent.map((r) => keyOf(r.system, r.messages)));
  }, 60_000);
});
