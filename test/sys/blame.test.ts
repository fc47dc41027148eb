/**
 * Which process the kernel works for: runAsKernel leaves it for its callbacks and the promises they
 * make, without turning the storage off and on (node 20's exit() does, and with it node's promise
 * hooks: ~20 µs on every commit request and turn-gate mark, issue 50.3).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentPid, runAs, runAsKernel } from '../../sys/blame.js';

afterEach(() => vi.restoreAllMocks());

describe('runAsKernel', () => {
  it('runs kernel work, and what it schedules, as no process; the process it was called from keeps its pid', async () => {
    const seen: Array<[string, number | null]> = [];
    await runAs(7, async () => {
      const scheduled = runAsKernel(() => {
        seen.push(['inside', currentPid()]);
        return Promise.all([
          new Promise<void>((resolve) => setImmediate(() => (seen.push(['immediate', currentPid()]), resolve()))),
          new Promise<void>((resolve) => setTimeout(() => (seen.push(['timer', currentPid()]), resolve()), 1)),
          Promise.resolve().then(() => void seen.push(['promise', currentPid()])),
        ]);
      });
      seen.push(['caller', currentPid()]);
      await scheduled;
      seen.push(['after', currentPid()]);
    });
    expect(seen).toEqual(
      expect.arrayContaining([
        ['inside', null],
        ['immediate', null],
        ['timer', null],
        ['promise', null],
        ['caller', 7],
        ['after', 7],
      ]),
    );
  });

  it('does not disable the storage to do so', () => {
    const disable = vi.spyOn(AsyncLocalStorage.prototype, 'disable');
    runAs(3, () => runAsKernel(() => expect(currentPid()).toBeNull()));
    expect(disable).not.toHaveBeenCalled();
  });
});
