/** Approving and denying from `aos top` under tmux, with the y/n confirmation, against a real daemon. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { hasTmux, TopSession } from '../helpers/top-session.js';

const TMUX = hasTmux();
const POLICY =
  'version: 1\nroot:\n  capabilities: ["fs.read:/**", "fs.write:/**"]\nrules:\n  - ask: "fs.write:/src/**"\n';
const write = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;

let t: TestHome | null = null;
let session: TopSession | null = null;
afterEach(async () => {
  await session?.dispose();
  session = null;
  await t?.dispose();
  t = null;
});

describe.skipIf(!TMUX)('aos top approvals under tmux', () => {
  it('shows pending approvals; A then n does nothing, A then y approves, D then y denies', async () => {
    t = await makeHome();
    const policy = path.join(t.home, 'ask.yaml');
    await writeFile(policy, POLICY);
    const env = { AOS_POLICY: policy };
    const model = await t.tape({
      first: [write('/src/one.txt'), { expect: '"bytes":1', reply: '[SYS_CALL::SYS_EXIT] {"code":0}' }],
      second: [write('/src/two.txt'), { expect: 'EACCES', reply: '[SYS_CALL::SYS_EXIT] {"code":3}' }],
    });
    const first = JSON.parse(
      (await t.cli(['spawn', '--model', model, '--name', 'first', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    session = new TopSession(t);
    await session.start(120, 30, env);
    await session.waitScreen(
      (s) => /APPROVALS 1 pending/.test(s) && /FS_WRITE path \/src\/one\.txt · content 1 byte: x/.test(s),
      'the first request in the pane',
    );
    const second = JSON.parse(
      (await t.cli(['spawn', '--model', model, '--name', 'second', '--detach', '--json'], { env })).stdout,
    ) as { pid: number };
    await session.waitScreen((s) => /APPROVALS 2 pending/.test(s), 'a second request, pushed by its event');

    await session.keys('A');
    await session.waitScreen(
      (s) => new RegExp(`approve \\w+ \\(FS_WRITE of process ${first.pid}\\)\\? y/n`).test(s),
      'the confirmation',
    );
    await session.keys('n');
    await session.waitScreen(
      (s) => !/y\/n/.test(s) && /APPROVALS 2 pending/.test(s),
      'the question gone, nothing answered',
    );

    await session.keys('A');
    await session.waitScreen((s) => /y\/n/.test(s), 'the confirmation again');
    await session.keys('y');
    await session.waitScreen(
      (s) => new RegExp(`approved \\w+ \\(process ${first.pid}\\)`).test(s) && /APPROVALS 1 pending/.test(s),
      'the first approved',
    );

    await session.keys('D');
    await session.waitScreen(
      (s) => new RegExp(`deny \\w+ \\(FS_WRITE of process ${second.pid}\\)\\? y/n`).test(s),
      'the deny confirmation',
    );
    await session.keys('y');
    await session.waitScreen((s) => !/APPROVALS/.test(s), 'no approvals left');

    const audit = JSON.parse((await t.cli(['audit', '--json'], { env })).stdout) as Array<{
      pid: number;
      decision: string;
      via: string | null;
    }>;
    expect(audit.filter((r) => r.decision !== 'ask').map((r) => [r.pid, r.decision, r.via])).toEqual([
      [first.pid, 'approved', 'socket'],
      [second.pid, 'denied', 'socket'],
    ]);
    const ps = JSON.parse((await t.cli(['ps', '--all', '--json'], { env })).stdout) as Array<{
      pid: number;
      exit_code: number | null;
    }>;
    expect(ps.find((r) => r.pid === first.pid)?.exit_code).toBe(0);
    await session.keys('q');
    expect(await session.exitCode()).toBe('0');
  }, 90_000);
});
