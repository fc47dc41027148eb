import { describe, expect, it } from 'vitest';
import { goDuration } from './wire.js';

describe('fake provider: the wire formats', () => {
  it('formats reset durations the OpenAI way', () => {
    expect(goDuration(20)).toBe('20ms');
    expect(goDuration(1000)).toBe('1s');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(360_000)).toBe('6m0s');
  });
});
