/**
 * The protocol's one table of methods, walked: every method in METHODS has a handler, a result
 * shape, and, over a real socket, refuses a parameter it does not know with EINVAL (never a crash).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { handlers } from '../../../daemon/methods/methods.js';
import { METHODS } from '../../../protocol/protocol.js';
import { RESULTS } from '../../../protocol/protocol-results.js';
import { EXIT } from '../../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../../helpers/server-fixture.js';

let fx: ServerFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const names = Object.keys(METHODS) as Array<keyof typeof METHODS>;

describe('the method table', () => {
  it('gives every method a handler and a result shape, and nothing else has one', () => {
    expect(names.length).toBeGreaterThan(5);
    expect(Object.keys(handlers).sort()).toEqual([...names].sort());
    for (const name of names) expect(RESULTS).toHaveProperty(name);
  });

  it('answers every method given an unknown parameter with EINVAL naming the method, on one connection', async () => {
    fx = await startServer({ root: [EXIT] });
    const c = await rawClient(fx.socket);
    let id = 0;
    for (const name of names) {
      c.send({ id: ++id, method: name, params: { no_such_parameter: 1 } });
      const answer = await c.next();
      expect(answer, name).toMatchObject({ id, ok: false, error: { code: 'EINVAL' } });
      expect((answer.error as { message: string }).message, name).toMatch(new RegExp(`^${name}\\b`));
    }
    c.send({ id: ++id, method: 'ping', params: {} });
    expect(await c.next()).toMatchObject({ id, ok: true });
    c.socket.destroy();
  });
});
