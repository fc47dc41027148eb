import { describe, expect, it } from 'vitest';
import { createOutputSink, isFlooding } from '../../../drivers/exec/supervise-child.js';

describe('output sink', () => {
  it('keeps the first cap bytes and counts the rest', () => {
    const sink = createOutputSink(5);
    sink.push(Buffer.from('abc'));
    sink.push(Buffer.from('defgh'));
    expect(sink.text()).toBe('abcde');
    expect(sink.seenBytes).toBe(8);
    expect(sink.overflowed).toBe(true);
  });

  it('decodes a cut multi-byte character as a replacement character', () => {
    const sink = createOutputSink(2);
    sink.push(Buffer.from('a✓'));
    expect(sink.text()).toBe('a\uFFFD');
  });

  it('calls a flood when both streams overflow or the total passes four caps', () => {
    const out = createOutputSink(10);
    const err = createOutputSink(10);
    out.push(Buffer.alloc(11));
    expect(isFlooding(out, err, 10)).toBe(false);
    err.push(Buffer.alloc(11));
    expect(isFlooding(out, err, 10)).toBe(true);
    const big = createOutputSink(10);
    big.push(Buffer.alloc(41));
    expect(isFlooding(big, createOutputSink(10), 10)).toBe(true);
  });
});
