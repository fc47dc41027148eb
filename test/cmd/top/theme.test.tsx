import { afterAll, describe, expect, it, vi } from 'vitest';
import { FakeTopSource, row, stats } from '../../fakes/top-source.js';

// Ink's colour support is decided when it loads: force it on, then load Ink (this file has its own module graph).
vi.stubEnv('FORCE_COLOR', '1');
const { render, cleanup } = await import('ink-testing-library');
const { App } = await import('../../../cmd/top/app.js');
afterAll(() => {
  cleanup();
  vi.unstubAllEnvs();
});

const COLOUR = /\u001b\[(3[0-79]|9[0-7]|4[0-79]|10[0-7])m/;

async function frameWith(color: boolean): Promise<string> {
  const fake = new FakeTopSource([row(1, { name: 'root', state: 'running' }), row(2, { state: 'blocked' })], stats());
  const app = render(
    <App source={fake} width={80} height={24} color={color} timing={{ batchMs: 1, historyDelayMs: 0 }} />,
  );
  await new Promise((resolve) => setTimeout(resolve, 40));
  const frame = app.lastFrame() ?? '';
  app.unmount();
  return frame;
}

describe('colour', () => {
  it('uses colour when it may', async () => {
    expect(await frameWith(true)).toMatch(COLOUR);
  });

  it('passes no colour at all under NO_COLOR, and marks the selection by inverse video and ">"', async () => {
    const frame = await frameWith(false);
    expect(frame).not.toMatch(COLOUR);
    expect(frame).toContain('\u001b[7m>');
  });
});
