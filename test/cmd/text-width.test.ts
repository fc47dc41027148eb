/** Display widths as a terminal shows them (cmd/text-width.ts), checked against string-width, the measure Ink uses. */
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { cutEnd, cutMiddle, displayWidth, pad } from '../../cmd/text-width.js';

const SAMPLES = [
  'worker-a',
  '',
  ' ',
  '数据分析员',
  'ｆｕｌｌｗｉｄｔｈ',
  'ﾊﾝｶｸ',
  'e\u0301te\u0301',
  'a\u200Db',
  '한국어',
  'カタカナ',
  '👩‍💻 dev',
  '✔ ok',
  '❤️',
  '🇫🇷',
  'naïve café',
  'Ελληνικά',
  'עברית',
  'tab\there',
  '\u0007bell',
  '🙂🙂',
  'x\uFE0F',
];

describe('displayWidth', () => {
  it('agrees with string-width on names people use', () => {
    for (const text of SAMPLES) expect(displayWidth(text), JSON.stringify(text)).toBe(stringWidth(text));
  });

  it('cuts and pads by columns, never splitting a grapheme', () => {
    expect(cutEnd('数据分析员', 5)).toBe('数据…');
    expect(displayWidth(cutEnd('数据分析员', 4))).toBeLessThanOrEqual(4);
    expect(cutMiddle('e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301', 4)).toBe('e\u0301e\u0301…e\u0301');
    expect(cutMiddle('👩‍💻👩‍💻👩‍💻👩‍💻', 5)).toBe('👩‍💻…👩‍💻');
    expect(pad('数据', 6)).toBe('数据  ');
    expect(pad('数据', 6, true)).toBe('  数据');
  });
});
