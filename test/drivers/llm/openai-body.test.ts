/**
 * The OpenAI-compatible driver's request bytes (drivers/llm/openai-body.ts): byte for byte the
 * JSON of toWire whatever the text (non-ASCII, lone surrogates, quotes, line breaks, an empty
 * system prompt or none of the messages), streaming or not, with the system prompt encoded once and
 * the prompts kept bounded by param.llmPromptBytesKept.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBody, keptPrompts } from '../../../drivers/llm/openai-body.js';
import { toWire } from '../../../drivers/llm/openai.js';
import { initialCap } from '../../../drivers/llm/openai-max-tokens.js';
import type { ModelRequest } from '../../../drivers/llm/types.js';
import { param as readonlyParam } from '../../../sys/param.js';
import { startFakeProvider } from '../../fakes/fake-provider.js';
import { createOpenAIDriver } from '../../../drivers/llm/openai.js';

const param = readonlyParam as { llmPromptBytesKept: number };
const saved = param.llmPromptBytesKept;
afterEach(() => {
  param.llmPromptBytesKept = saved;
});

function request(system: string, texts: string[]): ModelRequest {
  return {
    system,
    messages: texts.map((text, i) => ({ role: i % 2 ? 'model' : 'user', text })),
    proc: { pid: 1, name: 'p', turn: 0 },
    signal: new AbortController().signal,
  };
}

/** What the driver sends, through its own parts: toWire's JSON split where encodeBody splits it. */
function sent(model: string, req: ModelRequest, stream: boolean): string {
  const wire = toWire(model, req, stream, initialCap('http://127.0.0.1/v1')) as { model: string; messages: unknown[] };
  const { model: _model, messages, ...rest } = wire;
  const after = req.system === '' ? messages : messages.slice(1);
  return encodeBody(model, req, after as never, rest).toString('utf8');
}

describe('the request body', () => {
  it('is the JSON of toWire, byte for byte, for any text', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(text, fc.array(text, { maxLength: 5 }), fc.boolean(), fc.string(), (system, texts, stream, model) => {
        const req = request(system, texts);
        const expected = JSON.stringify(toWire(model, req, stream, initialCap('http://127.0.0.1/v1')));
        expect(sent(model, req, stream)).toBe(expected);
        // The second time the prompt comes from what was kept: the same bytes.
        expect(sent(model, req, stream)).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps one encoded prompt a text, the least recently used dropped past the bound', () => {
    const before = keptPrompts();
    const prompt = (i: number): string => `You are process ${i} — ${'x'.repeat(1_000)}`;
    for (let i = 0; i < 5; i++) sent('m', request(prompt(i), ['hi']), false);
    sent('m', request(prompt(0), ['again']), false);
    expect(keptPrompts().count - before.count).toBe(5);
    // Room for three of them: the least recently used go first (prompt 0, used again last, stays).
    param.llmPromptBytesKept = 3_200;
    for (let i = 5; i < 7; i++) sent('m', request(prompt(i), ['hi']), false);
    expect(keptPrompts()).toMatchObject({ count: 3 });
    expect(keptPrompts().bytes).toBeLessThanOrEqual(3_200);
    const kept = keptPrompts();
    sent('m', request(prompt(0), ['once more']), false);
    expect(keptPrompts()).toEqual(kept);
    // A prompt larger than the whole bound is encoded and sent, never kept.
    const huge = 'y'.repeat(4_000);
    expect(JSON.parse(sent('m', request(huge, ['hi']), false)).messages[0].content).toBe(huge);
    expect(keptPrompts()).toEqual(kept);
  });

  it('is what an OpenAI-compatible server receives', async () => {
    const fake = await startFakeProvider();
    try {
      const driver = createOpenAIDriver({ model: 'm', baseUrl: `${fake.url}/v1`, apiKey: 'k' });
      const req = request('système → “quoted” \n line', ['a\u2028b', 'é😀', '\ud800 lone']);
      await driver.complete(req);
      await driver.complete(req);
      const bodies = fake.requests.map((r) => r.body);
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[0]).toEqual(JSON.parse(JSON.stringify(toWire('m', req, false, initialCap(`${fake.url}/v1`)))));
    } finally {
      await fake.close();
    }
  });
});
