import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { param } from '../../kernel/param.js';
import { turnSlot } from '../../kernel/turn-gate.js';

describe('the turn gate', () => {
  it('lets param.turnsPerTick turns start per macrotask, the others in the next ones, in order', async () => {
    const k = param.turnsPerTick;
    const started: number[] = [];
    const all = Array.from({ length: 3 * k }, (_, i) => turnSlot().then(() => started.push(i)));
    // Each of these runs after the gate's own immediates of the same macrotask.
    await nextMacrotask();
    expect(started).toHaveLength(k);
    await nextMacrotask();
    expect(started).toHaveLength(2 * k);
    await nextMacrotask();
    expect(started).toHaveLength(3 * k);
    await Promise.all(all);
    expect(started).toEqual(Array.from({ length: 3 * k }, (_, i) => i));
  });
});
