import { describe, expect, it } from 'vitest';
import { decodeExitStatus, parseBwrapStatus } from '../../../drivers/exec/run-sandboxed.js';

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
