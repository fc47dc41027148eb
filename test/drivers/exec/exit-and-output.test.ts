import { describe, expect, it } from 'vitest';
import { decodeExitStatus, parseBwrapStatus } from '../../../drivers/exec/exit-status.js';
import { createOutputSink, isFlooding } from '../../../drivers/exec/output-cap.js';

describe('exit status decoding', () => {
  it('reads the last exit-code bwrap reported, or null when there is none', () => {
    expect(parseBwrapStatus('{ "child-pid": 12 }\n{ "exit-code": 3 }\n')).toBe(3);
    expect(parseBwrapStatus('{ "exit-code": 0 }{ "exit-code": 7 }')).toBe(7);
    expect(parseBwrapStatus('{ "child-pid": 12 }\n')).toBeNull();
  });

  it('maps 128+N to the signal name and keeps ordinary codes', () => {
    expect(decodeExitStatus(0)).toEqual({ exit_code: 0, signal: null });
    expect(decodeExitStatus(128)).toEqual({ exit_code: 128, signal: null });
    expect(decodeExitStatus(137)).toEqual({ exit_code: null, signal: 'SIGKILL' });
    expect(decodeExitStatus(152)).toEqual({ exit_code: null, signal: 'SIGXCPU' });
    expect(decodeExitStatus(255)).toEqual({ exit_code: 255, signal: null });
  });
});

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
