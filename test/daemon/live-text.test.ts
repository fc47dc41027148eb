/**
 * Replies as they are written, over the socket: a follower that asks for text gets `text` pushes
 * before the turn's `model` event (joined, they are its text); one that does not ask gets none;
 * and the kernel streams from its provider only while someone takes the text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { rawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';
import { PROTOCOL_VERSION } from '../../protocol/protocol.js';

const LONG = `I will look around first, then stop. ${'These words arrive a few at a time. '.repeat(6)}${EXIT}`;

let fx: ServerFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

type Line = Record<string, unknown>;
const isEnd = (line: Line): boolean => line.event === 'end';

async function follow(fixture: ServerFixture, text: boolean): Promise<Line[]> {
  const c = await rawClient(fixture.socket);
  const pcb = await fixture.kernel.spawn({ task: 'go', model: fixture.model });
  c.send({
    id: 1,
    method: 'logs',
    params: { pid: pcb.pid, follow: true, tree: true, tail: 0, ...(text ? { text: true } : {}) },
    protocol: PROTOCOL_VERSION,
  });
  const lines = await c.until(isEnd, 15_000);
  c.socket.destroy();
  return lines;
}

describe('live text over the socket', () => {
  it('pushes the reply as it is written, before its model event, and the pieces join to its text', async () => {
    // The first turn sleeps, so that the follow is in place when the second is written.
    fx = await startServer({ root: [call('SYS_SLEEP', { seconds: 0.3 }), { reply: LONG, delay_ms: 400 }] });
    const lines = await follow(fx, true);
    const texts = lines
      .filter((l) => l.event === 'text')
      .map((l) => l.payload as { pid: number; turn: number; text: string });
    const modelAt = lines.findIndex((l) => l.event === 'log' && (l.payload as { type: string }).type === 'model');
    const lastText = lines.map((l) => l.event).lastIndexOf('text');
    expect(texts.length).toBeGreaterThan(1); // pieces, gathered at most every 50 ms over 400 ms
    expect(texts.every((t) => t.turn === 1)).toBe(true);
    expect(texts.map((t) => t.text).join('')).toBe(LONG);
    expect(modelAt).toBeGreaterThan(lastText);
    expect(fx.kernel.live.watched).toBe(false); // the follow ended with the process
  });

  it('a spawn that says the caller will watch streams its first turn, though the follow comes after it started', async () => {
    fx = await startServer({ root: [{ reply: LONG, delay_ms: 400 }] });
    const c = await rawClient(fx.socket);
    c.send({
      id: 1,
      method: 'spawn',
      params: { task: 'go', model: fx.model, watch: true },
      protocol: PROTOCOL_VERSION,
    });
    const { result } = (await c.next()) as { result: { pid: number } };
    await new Promise((resolve) => setTimeout(resolve, 60)); // the first turn is under way
    expect(fx.kernel.live.watched).toBe(true);
    c.send({
      id: 2,
      method: 'logs',
      params: { pid: result.pid, follow: true, text: true, tail: 0 },
      protocol: PROTOCOL_VERSION,
    });
    const lines = await c.until(isEnd, 15_000);
    const text = lines
      .filter((l) => l.event === 'text')
      .map((l) => (l.payload as { text: string }).text)
      .join('');
    expect(text.length).toBeGreaterThan(0);
    expect(LONG.endsWith(text)).toBe(true); // what came after the follow, in order
    expect(fx.kernel.live.watched).toBe(false); // the hold went with the follow, the follow with the process
    c.socket.destroy();
  });

  it('a hold lapses when the connection goes without following', async () => {
    fx = await startServer({ root: [{ reply: LONG, delay_ms: 2000 }] });
    const c = await rawClient(fx.socket);
    c.send({
      id: 1,
      method: 'spawn',
      params: { task: 'go', model: fx.model, watch: true },
      protocol: PROTOCOL_VERSION,
    });
    await c.next();
    expect(fx.kernel.live.watched).toBe(true);
    c.socket.destroy();
    await c.closed;
    const deadline = Date.now() + 5000;
    while (fx.kernel.live.watched && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fx.kernel.live.watched).toBe(false);
  });

  it('a follower that did not ask for text gets none, and the turn does not stream', async () => {
    fx = await startServer({ root: [{ reply: LONG, delay_ms: 100 }] });
    let streamed = false;
    const unsubscribe = fx.kernel.events.subscribe((e) => {
      if (e.type === 'state' && e.to === 'running') streamed ||= fx?.kernel.live.watched ?? false;
    });
    const lines = await follow(fx, false);
    unsubscribe();
    expect(lines.some((l) => l.event === 'text')).toBe(false);
    expect(streamed).toBe(false);
  });

  it('a text subscription takes every process, and unsubscribing stops the stream', async () => {
    fx = await startServer({ a: [{ reply: LONG, delay_ms: 200 }], b: [{ reply: LONG, delay_ms: 200 }] });
    const c = await rawClient(fx.socket);
    c.send({ id: 1, method: 'subscribe', params: { topics: ['text'] }, protocol: PROTOCOL_VERSION });
    const { result } = (await c.next()) as { result: { sub: number } };
    expect(fx.kernel.live.watched).toBe(true);
    const a = await fx.kernel.spawn({ task: 'go', model: fx.model, name: 'a' });
    const b = await fx.kernel.spawn({ task: 'go', model: fx.model, name: 'b' });
    const got = new Map<number, string>();
    await c.until((line) => {
      if (line.event === 'text') {
        const piece = line.payload as { pid: number; text: string };
        got.set(piece.pid, (got.get(piece.pid) ?? '') + piece.text);
      }
      return got.get(a.pid) === LONG && got.get(b.pid) === LONG;
    }, 15_000);
    c.send({ id: 2, method: 'unsubscribe', params: { sub: result.sub }, protocol: PROTOCOL_VERSION });
    await c.until((line) => line.id === 2);
    expect(fx.kernel.live.watched).toBe(false);
    c.socket.destroy();
  });
});
