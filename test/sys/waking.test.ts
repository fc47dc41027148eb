import { describe, expect, it } from 'vitest';
import { andThen, Waking } from '../../sys/waking.js';

describe('Waking', () => {
  it('runs map and listen callbacks in the stack that settles it, and is awaitable as a promise', async () => {
    const w = new Waking<number>();
    const seen: string[] = [];
    const doubled = w.map((n) => n * 2);
    doubled.listen((o) => seen.push(`listen:${o.ok ? o.value : 'error'}`));
    seen.push('before');
    w.resolve(21);
    seen.push('after');
    expect(seen).toEqual(['before', 'listen:42', 'after']);
    expect(await doubled).toBe(42);
    expect(await w).toBe(21);
    // then() makes plain promises, never a Waking built with an executor.
    expect(w.then((n) => n)).not.toBeInstanceOf(Waking);
  });

  it('a thrown error rejects the mapped Waking; onError maps it back', async () => {
    const w = Waking.of(1);
    const failed = w.map(() => {
      throw new Error('no');
    });
    await expect(failed).rejects.toThrow('no');
    const recovered = failed.map(
      () => 'never',
      (error) => `caught ${(error as Error).message}`,
    );
    expect(recovered.settled).toBe(true);
    expect(await recovered).toBe('caught no');
  });

  it('follows a returned Waking synchronously and a plain promise when it settles', async () => {
    const inner = new Waking<string>();
    const outer = Waking.of(0).map(() => inner);
    expect(outer.settled).toBe(false);
    inner.resolve('x');
    expect(outer.settled).toBe(true);
    const viaPromise = Waking.of(0).map(() => Promise.resolve('y'));
    expect(viaPromise.settled).toBe(false);
    expect(await viaPromise).toBe('y');
  });

  it('a rejection nobody awaits (the kernel listened instead) is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const w = new Waking<number>();
      let got: unknown;
      w.listen((o) => (got = o.ok ? o.value : o.error));
      w.reject(new Error('listened to'));
      expect((got as Error).message).toBe('listened to');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('andThen: now for a value, synchronously for a Waking, by then() for a plain promise', async () => {
    expect(andThen(2, (n) => n + 1)).toBe(3);
    const w = new Waking<number>();
    const mapped = andThen(w, (n) => n + 1);
    expect(mapped).toBeInstanceOf(Waking);
    w.resolve(1);
    expect((mapped as Waking<number>).settled).toBe(true);
    expect(await andThen(Promise.resolve(5), (n) => n + 1)).toBe(6);
  });
});
