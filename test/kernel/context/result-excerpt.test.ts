import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitResult } from '../../../kernel/context/context.js';

const place = { turn: 7, seq: 2 };

describe('a result too large for its share of the context', () => {
  it('keeps its shape and every flag, and names the call that reads on from the cut', () => {
    const content = 'line\t"quoted"\n'.repeat(10_000);
    const value = { path: '/big.txt', content, encoding: 'utf8', size: 300_000, offset: 0, truncated: true };
    const text = fitResult({ ok: true, value }, 8_000, place);
    expect(text.length).toBeLessThanOrEqual(8_000);
    const parsed = JSON.parse(text) as {
      ok: boolean;
      value: Record<string, unknown>;
      excerpt: { of_chars: number; rest: unknown };
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.value).toMatchObject({
      path: '/big.txt',
      size: 300_000,
      truncated: true,
      encoding: 'utf8',
      offset: 0,
    });
    const shown = parsed.value.content as string;
    expect(content.startsWith(shown)).toBe(true);
    expect(shown.length).toBeGreaterThan(5_000); // most of the room goes to the content
    expect(parsed.value.content_cut_chars).toBe(content.length - shown.length);
    expect(parsed.excerpt.of_chars).toBe(JSON.stringify({ ok: true, value }).length);
    expect(parsed.excerpt.rest).toEqual({
      SYS_RESULT_READ: { turn: 7, seq: 2, field: 'content', offset: shown.length },
    });
  });

  it('shares the room between two long fields (stdout and stderr) and keeps the exit code', () => {
    const value = { stdout: 'o'.repeat(50_000), stderr: 'e'.repeat(20_000), exit_code: 2, truncated: false };
    const parsed = JSON.parse(fitResult({ ok: true, value }, 4_000, place)) as {
      value: Record<string, unknown>;
      excerpt: { rest: unknown };
    };
    expect(parsed.value).toMatchObject({ exit_code: 2, truncated: false });
    expect((parsed.value.stdout as string).length).toBeGreaterThan(1_000);
    expect((parsed.value.stderr as string).length).toBeGreaterThan(1_000);
    expect(parsed.excerpt.rest).toMatchObject({ SYS_RESULT_READ: { field: 'stdout' } });
  });

  it('keeps the first items of a long list, saying how many are left out', () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({
      from_pid: 2,
      content: `message ${i} ${'x'.repeat(500)}`,
      ts: 't',
    }));
    const parsed = JSON.parse(fitResult({ ok: true, value: { messages } }, 3_000, place)) as {
      value: { messages: unknown[] };
      excerpt: { rest: unknown };
    };
    const shown = parsed.value.messages;
    expect(shown[0]).toEqual(messages[0]);
    expect(shown.at(-1)).toMatch(/^…\[\+\d+ more items\]$/);
    expect(parsed.excerpt.rest).toEqual({ SYS_RESULT_READ: { turn: 7, seq: 2, field: 'messages', offset: 0 } });
  });

  it('cuts an error message too, and leaves a result that fits exactly as it was', () => {
    const error = JSON.parse(fitResult({ ok: false, errno: 'EIO', message: 'm'.repeat(10_000) }, 500, place)) as Record<
      string,
      unknown
    >;
    expect(error).toMatchObject({ ok: false, errno: 'EIO' });
    expect(error.message).toMatch(/…\[\+\d+ chars\]$/);
    const small = { ok: true as const, value: { bytes: 2 } };
    expect(fitResult(small, 500, place)).toBe(JSON.stringify(small));
  });

  it('is valid JSON within the limit for any value', () => {
    const values = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(fc.string(), fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 40 })),
    );
    fc.assert(
      fc.property(values, fc.integer({ min: 120, max: 3_000 }), fc.boolean(), (value, max, ok) => {
        const result = ok
          ? { ok: true as const, value }
          : { ok: false as const, errno: 'EIO' as const, message: JSON.stringify(value) };
        const text = fitResult(result, max, place);
        expect(text.length).toBeLessThanOrEqual(max);
        expect(JSON.parse(text)).toMatchObject({ ok });
      }),
      { numRuns: 500 },
    );
  });

  it('never splits a surrogate pair or an escape', () => {
    const value = { content: '🦊\n'.repeat(5_000) };
    for (const max of [400, 401, 402, 403, 1_000]) {
      const parsed = JSON.parse(fitResult({ ok: true, value }, max, place)) as { value: { content: string } };
      expect(parsed.value.content).toMatch(/^(🦊\n)*🦊?$/u);
    }
  });
});
