import { describe, expect, it } from 'vitest';
import { WindowLimiter } from './limiter.js';

describe('fake provider: the built-in limiter', () => {
  it('WindowLimiter: sliding window arithmetic', () => {
    const limiter = new WindowLimiter({ rpm: 2, tpm: 100, windowMs: 1000 });
    expect(limiter.admit(40, 0).ok).toBe(true);
    expect(limiter.admit(40, 100).ok).toBe(true);
    const byRequests = limiter.admit(1, 200);
    expect(byRequests).toMatchObject({ ok: false, limit: 'requests', retryAfterMs: 800 });
    expect(limiter.admit(1, 1000).ok).toBe(true); // the first left the window
    const byTokens = new WindowLimiter({ tpm: 100, windowMs: 1000 });
    byTokens.admit(70, 0);
    byTokens.admit(20, 500);
    expect(byTokens.admit(50, 600)).toMatchObject({ ok: false, limit: 'tokens', retryAfterMs: 400 });
    expect(byTokens.admit(10, 600).ok).toBe(true);
    // one request larger than tpm passes into an empty window rather than never
    expect(new WindowLimiter({ tpm: 10 }).admit(50, 0).ok).toBe(true);
    expect(() => new WindowLimiter({ rpm: 0 })).toThrow(/rpm/);
  });
});
