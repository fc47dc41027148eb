/** Proposals in `aos top` under tmux against a real daemon: the pane with the time left, U then n / y undoing the newest. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { hasTmux, TopSession } from '../helpers/top-session.js';

const TMUX = hasTmux();
const POLICY =
  'version: 1\nroot:\n  capabilities: ["fs.read:/**", "fs.write:/**", ipc]\nrules:\n  - propose: "fs.write:/src/**"\n';
const write = (p: string, content: string): string => `[SYS_CALL::FS_WRITE] ${JSON.stringify({ path: p, content })}`;

let t: TestHome | null = null;
let session: TopSession | null = null;
afterEach(async () => {
  await session?.dispose();
  session = null;
  await t?.dispose();
  t = null;
});

describe.skipIf(!TMUX)('aos top proposals under tmux', () => {
  it('lists pending proposals newest first with the time left; U then n does nothing, U then y undoes the newest', async () => {
    t = await makeHome();
    const policy = path.join(t.home, 'propose.yaml');
    await writeFile(policy, POLICY);
    const env = { AOS_POLICY: policy };
    const ws = t.env.AOS_WORKSPACE as string;
    await mkdir(path.join(ws, 'src'), { recursive: true });
    await writeFile(path.join(ws, 'src/one.txt'), 'old');
    const model = await t.tape({
      w: [
        write('/src/one.txt', 'new'),
        { expect: '"proposal"', reply: write('/src/two.txt', 'made') },
        { expect: '"proposal"', reply: '[SYS_CALL::SYS_READ_STDIN] {"timeout_s": 300}' },
      ],
    });
    const { pid } = JSON.parse(
      (await t.cli(['spawn', 'w', '--model', model, '--name', 'w', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    session = new TopSession(t);
    await session.start(140, 30, env);
    await session.waitScreen(
      (s) =>
        /PROPOSALS 2 undoable/.test(s) &&
        new RegExp(`pid ${pid} w  FS_WRITE /src/two\\.txt  undo within 1[45]m`).test(s) &&
        s.indexOf('/src/two.txt') < s.indexOf('/src/one.txt'),
      'both proposals, the newest first',
    );

    await session.keys('U');
    await session.waitScreen(
      (s) => new RegExp(`undo \\w+ \\(the write of /src/two\\.txt by process ${pid}\\)\\? y/n`).test(s),
      'the confirmation',
    );
    await session.keys('n');
    await session.waitScreen((s) => !/y\/n/.test(s) && /PROPOSALS 2 undoable/.test(s), 'nothing undone');
    expect(await readFile(path.join(ws, 'src/two.txt'), 'utf8')).toBe('made');

    await session.keys('U');
    await session.waitScreen((s) => /y\/n/.test(s), 'the confirmation again');
    await session.keys('y');
    await session.waitScreen(
      (s) =>
        new RegExp(`undone \\w+ \\(process ${pid}\\): removed /src/two\\.txt`).test(s) &&
        /PROPOSALS 1 undoable/.test(s),
      'the newest undone, pushed by its event',
    );
    await expect(readFile(path.join(ws, 'src/two.txt'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await readFile(path.join(ws, 'src/one.txt'), 'utf8')).toBe('new');

    const list = JSON.parse((await t.cli(['proposals', '--json'], { env })).stdout) as Array<{
      subject: string;
      state: string;
      via: string | null;
    }>;
    expect(list.map((p) => [p.subject, p.state, p.via])).toEqual([
      ['/src/one.txt', 'pending', null],
      ['/src/two.txt', 'undone', 'socket'],
    ]);
    await session.keys('q');
    expect(await session.exitCode()).toBe('0');
    await t.cli(['kill', String(pid)], { env });
  }, 120_000);
});
