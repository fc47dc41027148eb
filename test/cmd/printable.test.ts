/** What models and other agents wrote reaches a person's terminal as text, never as escape sequences (aos logs, aos thread). */
import { describe, expect, it } from 'vitest';
import { formatEntry } from '../../cmd/thread.js';
import { printable } from '../../cmd/printable.js';
import { EventRenderer } from '../../cmd/render.js';
import { painter } from '../../cmd/style.js';

const HOSTILE = 'ok\u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2J\u001b[31mred\u009b1m \u202eevil\u2066 \bback\rover';

describe('printable', () => {
  it('shows control characters, C1 controls and bidi overrides as escapes; newlines and tabs stay', () => {
    const out = printable(`${HOSTILE}\n\tnext`);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(out).toContain('\\u001b]52;c;');
    expect(out).toContain('\n\tnext');
  });

  it('holds for a model reply in aos logs and a thread entry in aos thread show/tail', () => {
    const renderer = new EventRenderer({ paint: painter(false), verbose: false, width: 1_000 });
    const line =
      renderer.render({ ts: '2026-11-25T00:00:00.000Z', pid: 1, type: 'model', turn: 0, text: HOSTILE }) ?? '';
    const entry = formatEntry(
      { seq: 1, ts: '2026-11-25T00:00:00.000Z', pid: 2, unit: '\u001b[8m', kind: 'note', text: HOSTILE },
      painter(false),
    );
    for (const text of [line, entry]) {
      expect(text).toContain('ok');
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });
});
