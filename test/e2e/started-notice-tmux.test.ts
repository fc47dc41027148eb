/**
 * What a verb leaves running is said, once, to a person at a terminal (tmux): the kernel it started
 * and how to stop it; and, when the last kernel had died, that a new one was started in its place.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { hasTmux, TopSession } from '../helpers/top-session.js';

let t: TestHome;
let tmux: TopSession;
beforeAll(async () => {
  t = await makeHome();
  tmux = new TopSession(t);
});
afterAll(async () => {
  await tmux.tmux('kill-server').catch(() => undefined);
  await t.dispose();
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `aos <args>` in a fresh tmux window (a terminal); the screen once it shows `done` (`[exit N]` once it ended). */
async function inTerminal(window: string, args: string[], done: RegExp): Promise<string> {
  const env = Object.entries({ ...t.env, NO_COLOR: '1' })
    .map(([k, v]) => `${k}=${quote(v ?? '')}`)
    .join(' ');
  const command = `env ${env} ${quote(process.execPath)} --import tsx ${quote(path.join(ROOT, 'cmd/aos.ts'))} ${args.map(quote).join(' ')}; echo "[exit $?]"; sleep 60`;
  await tmux.tmux('new-session', '-d', '-s', window, '-x', '200', '-y', '40', '-c', ROOT, command);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const screen = (await tmux.tmux('capture-pane', '-p', '-J', '-t', window)).stdout;
    if (done.test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`no ${args[0]} output; the screen:\n${screen}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `aos ps` in a fresh tmux window; the screen once it has printed its header. */
const psInTerminal = (window: string): Promise<string> => inTerminal(window, ['ps'], /PID/);

describe.skipIf(!hasTmux())('the kernel a verb started, said at a terminal', () => {
  it('says it started the kernel and how to stop it; after a kernel died, that it started a new one', async () => {
    const first = await psInTerminal('first');
    expect(first).toMatch(/aos: started the kernel \(pid \d+\) for .+; it keeps running in the background/);
    expect(first).toContain('"aos kernel stop" stops both');

    const again = await psInTerminal('again');
    expect(again).not.toContain('started the kernel');

    process.kill((await t.daemonPid()) as number, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const revived = await psInTerminal('revived');
    expect(revived).toMatch(
      /had stopped without shutting down \(see .+kernel\.log\); started a new one \(pid \d+\), and its processes resume/,
    );
  }, 90_000);

  it('an attached spawn that started the kernel says so again at its end, with the command that stops it (issue 51.4)', async () => {
    await t.cli(['kernel', 'stop']);
    const model = await t.tape({ root: ['[SYS_CALL::SYS_EXIT] {"code": 0}'] });
    const screen = await inTerminal('demo', ['spawn', 'Show the loop', '--model', model], /\[exit 0\]/);
    expect(screen).toMatch(/aos: started the kernel \(pid \d+\)/);
    const lines = screen.trimEnd().split('\n').slice(0, -1);
    const pid = String(await t.daemonPid());
    expect(lines.at(-1)).toBe(
      `aos: the kernel this started (pid ${pid}, for ${t.home}) keeps running in the background, with its memory server (Chroma) if an agent used memory: "aos kernel stop" stops both`,
    );
    // Not said by a spawn whose kernel was running already.
    const again = await inTerminal('again-spawn', ['spawn', 'Show the loop', '--model', model], /\[exit 0\]/);
    expect(again).not.toContain('the kernel this started');
  }, 90_000);
});
