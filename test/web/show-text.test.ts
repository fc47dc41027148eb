/** web/show-text.js is the page's copy of protocol/show-text.ts (the page has no build step): it must show exactly what the original shows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as original from '../../protocol/show-text.js';

const copy = (await import(new URL('../../web/show-text.js', import.meta.url).href)) as {
  escapeControl(text: string): string;
  jsonVisible(json: string, lines?: boolean): string;
  cut(text: string, width: number, hint?: string): string;
};

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({
    unit: fc.constantFrom('\u001b', '\u202e', '\u200b', '\\', '…', 'a', ' ', '\n', '\u{e0041}', '\u0301', '\u0085'),
    maxLength: 30,
  }),
);

describe('web/show-text.js', () => {
  it('escapes, JSON-escapes and cuts as protocol/show-text.ts does (property)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 80 }), fc.boolean(), (t, width, lines) => {
        expect(copy.escapeControl(t)).toBe(original.escapeControl(t));
        const json = JSON.stringify({ t }, null, lines ? 2 : undefined);
        expect(copy.jsonVisible(json, lines)).toBe(original.jsonVisible(json, lines));
        const shown = original.escapeControl(t);
        expect(copy.cut(shown, width)).toBe(original.cut(shown, width));
        expect(copy.cut(shown, width, 'hint')).toBe(original.cut(shown, width, 'hint'));
      }),
      { numRuns: 2000 },
    );
  });
});
