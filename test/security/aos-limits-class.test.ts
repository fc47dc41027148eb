/**
 * AOS_LIMITS `class=hosted|local` (kernel/sched/pool-gate.ts): only the operator's environment sets
 * it (no syscall, no model reply reaches it), and a spelling the kernel accepts must mean what its
 * reader thinks. Tried: other cases and look-alikes, prototype keys, a class on a model's lane in
 * every spelling of the lane, a class smuggled in through a second lane or an empty value, and a
 * programmatic limit that puts a class on a model's lane (ignored there: a model lane has no class).
 */
import { describe, expect, it } from 'vitest';
import { type Lease, ModelPool, parseLimits } from '../../kernel/sched/model-pool.js';
import { param } from '../../sys/param.js';

const limitOf = (pool: ModelPool, provider: string): number | null | undefined =>
  pool.providers().find((p) => p.provider === provider)?.limit;

function admitted(limits: ReturnType<typeof parseLimits>, model: string, guess: 'hosted' | 'local'): ModelPool {
  const pool = new ModelPool({ limits, classify: () => guess });
  pool.release(pool.admit(model, 1) as Lease, null);
  return pool;
}

describe('AOS_LIMITS class: every spelling', () => {
  it('takes exactly hosted or local; anything else is refused, not read as a default', () => {
    for (const bad of [
      'Hosted',
      'HOSTED',
      'hosted ', // trimmed: accepted below, so not here
      'hosted\u200b',
      'hostéd',
      'remote',
      '',
      '1',
      '__proto__',
      'constructor',
      'toString',
      'hosted|local',
    ].filter((v) => v.trim() !== 'hosted')) {
      expect(() => parseLimits(`openai:class=${bad}`), bad).toThrow(/AOS_LIMITS/);
    }
    expect(parseLimits('openai:class= hosted ')).toEqual({ openai: { class: 'hosted' } });
    expect(() => parseLimits('openai:class')).toThrow(/AOS_LIMITS/);
  });

  it("is a provider's: on a model's lane it is refused in every spelling of the lane", () => {
    for (const lane of ['openai:gpt-4o', 'openai:llama3.1:8b', 'gemini:gemini-2.5-flash', 'openai::']) {
      expect(() => parseLimits(`${lane}:class=hosted`), lane).toThrow(/class is a provider's/);
    }
    // A second lane in the same variable does not carry one lane's class to another.
    const limits = parseLimits('openai:class=hosted; gemini:start=8');
    expect(limits).toEqual({ openai: { class: 'hosted' }, gemini: { start: 8 } });
  });

  it('does not leak onto Object.prototype or another pool', () => {
    parseLimits('openai:class=hosted');
    expect(({} as { class?: unknown }).class).toBeUndefined();
    const plain = admitted(parseLimits(''), 'openai:m', 'local');
    expect(limitOf(plain, 'openai')).toBe(param.localConcurrencyStart);
  });

  it("a class given to a model's lane in code is ignored there: the provider's guess stands", () => {
    const pool = admitted({ 'openai:m': { class: 'hosted' } }, 'openai:m', 'local');
    expect(limitOf(pool, 'openai')).toBe(param.localConcurrencyStart);
  });

  it('a pinned concurrency wins over a class (the class only decides an adaptive limit)', () => {
    const pool = admitted(parseLimits('openai:class=hosted,concurrency=3'), 'openai:m', 'local');
    expect(limitOf(pool, 'openai')).toBe(3);
  });
});
