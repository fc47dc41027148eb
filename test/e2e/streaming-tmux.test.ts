/**
 * Tokens as they arrive, at a terminal (tmux): an attached spawn shows the newest words of a reply
 * while it is written, before the turn's line, and erases them once the turn's line is printed;
 * `aos top` shows the selected process's reply as it is written on its log pane's last line.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { hasTmux, TopSession } from '../helpers/top-session.js';

const SLEEP = '[SYS_CALL::SYS_SLEEP] {"seconds": 0.8}';
const WORDS = Array.from({ length: 24 }, (_, i) => `word${i + 1}`).join(' ');
const SLOW = { reply: `${WORDS} [SYS_CALL::SYS_EXIT] {"code": 0}`, delay_ms: 4000 };

let t: TestHome;
let tmux: TopSession;
beforeAll(async () => {
  t = await makeHome();
  tmux = new TopSession(t);
});
afterAll(async () => {
  await tmux.dispose();
  await t.dispose();
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!hasTmux())('replies as they are written, at a terminal', () => {
  it('an attached spawn shows the reply being written, then the turn line in its place', async () => {
    const model = await t.tape({ root: [SLEEP, SLOW] });
    const env = Object.entries({ ...t.env, NO_COLOR: '1' })
      .map(([k, v]) => `${k}=${quote(v ?? '')}`)
      .join(' ');
    const spawn = `env ${env} ${quote(process.execPath)} --import tsx ${quote(path.join(ROOT, 'cmd/aos.ts'))} spawn 'write slowly' --model ${quote(model)}; sleep 60`;
    await tmux.tmux('new-session', '-d', '-s', 'attached', '-x', '160', '-y', '30', '-c', ROOT, spawn);
    const screen = async (): Promise<string> => (await tmux.tmux('capture-pane', '-p', '-t', 'attached')).stdout;
    // While the reply is written: some words, not all, after ▸; no turn line for it yet.
    const deadline = Date.now() + 30_000;
    let partial = '';
    for (;;) {
      const now = await screen();
      const live = /▸ (.*word\d+.*)$/m.exec(now);
      if (live && !/word24/.test(now) && !/turn 1/.test(now)) {
        partial = live[1] as string;
        break;
      }
      if (Date.now() > deadline) throw new Error(`never saw a reply being written; the screen:\n${now}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(partial).toMatch(/word\d+/);
    // Then the turn's line, the live line gone, and the end.
    const end = Date.now() + 30_000;
    let last = '';
    while (!/exited 0/.test((last = await screen()))) {
      if (Date.now() > end) throw new Error(`no end; the screen:\n${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(last).toMatch(/turn 1 word1 word2/);
    expect(last).not.toContain('▸');
  }, 90_000);

  it('top shows the selected process writing its reply, on the log pane', async () => {
    const model = await t.tape({ writer: [SLEEP, SLOW] }, 'writer.yaml');
    await tmux.start(120, 30);
    await tmux.waitScreen((s) => /aos top/.test(s), 'top', 30_000);
    const spawned = await t.cli(['spawn', 'write slowly', '--model', model, '--name', 'writer', '--detach']);
    expect(spawned.code, spawned.stderr).toBe(0);
    const seen = await tmux.waitScreen((s) => /▸ .*word\d+/.test(s), 'a reply being written in the log pane', 30_000);
    expect(seen).toMatch(/writer/);
    await tmux.keys('q');
  }, 90_000);
});
