/**
 * Red team of `aos fork` and `aos record` through the real CLI and daemon (issue 35, cmd/fork.ts,
 * cmd/record.ts, daemon/fork-methods.ts):
 * - a fork onto another model is refused, as a spawn and an eval are, when the caller's provider
 *   settings (a base URL, a key) differ from the kernel's: the origin's whole context would go to
 *   an endpoint the caller never chose;
 * - `aos record -o FILE` never writes through a symbolic link an agent planted in the workspace
 *   (the tape holds the model's replies: through a link to ~/.bashrc they would run on the host).
 */
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let t: TestHome;
let kernelSide: FakeProvider;
let callerSide: FakeProvider;
let env: NodeJS.ProcessEnv;

const call = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
const EXIT = call('SYS_EXIT', { code: 0 });
/** A reply a model may write: in a shell's rc file, the indented line would run. */
const PAYLOAD = '$(touch /tmp/aos-redteam-pwned)';
const ROOT = [
  `${PAYLOAD}\n${call('FS_WRITE', { path: 'notes.txt', content: 'v1' })}`,
  call('FS_WRITE', { path: 'notes.txt', content: 'v2' }),
  EXIT,
];

beforeAll(async () => {
  t = await makeHome();
  kernelSide = await startFakeProvider({ reply: () => EXIT });
  callerSide = await startFakeProvider({ reply: () => EXIT });
  // The daemon starts with these settings (the first command starts it).
  env = {
    OPENAI_BASE_URL: `${kernelSide.url}/v1`,
    OPENAI_API_KEY: 'sk-kernel',
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
  };
}, 30_000);
afterAll(async () => {
  await t.dispose();
  await kernelSide.close();
  await callerSide.close();
});

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): ReturnType<TestHome['cli']> =>
  t.cli(args, { env: { ...env, ...extra }, timeoutMs: 30_000 });

async function origin(): Promise<number> {
  const spawned = await cli(['spawn', 'keep notes', '--model', await t.tape({ root: ROOT }), '--detach']);
  expect(spawned.code, spawned.stderr).toBe(0);
  const pid = Number(spawned.stdout.trim());
  expect((await cli(['wait', String(pid)])).code).toBe(0);
  return pid;
}

describe("aos fork --model, from a shell with other provider settings than the kernel's", () => {
  // Was broken (fixed): daemon/fork-methods.ts does not call refuseSpawnDrift (the fork method takes no
  // settings; cmd/fork.ts sends none): the fork runs on the kernel's endpoint and key.
  it("is refused, as aos spawn is, and the kernel's endpoint is sent nothing", async () => {
    const pid = await origin();
    const mine = { OPENAI_BASE_URL: `${callerSide.url}/v1`, OPENAI_API_KEY: 'sk-caller' };
    const spawned = await cli(['spawn', 'x', '--model', 'openai:fake-model'], mine);
    expect(spawned.code).toBe(1);
    expect(spawned.stderr).toMatch(/other openai settings than yours/i);
    const before = kernelSide.requests.length;
    const forked = await cli(['fork', String(pid), '--turn', '1', '--model', 'openai:fake-model'], mine);
    if (forked.code === 0) {
      const pidOfFork = forked.stdout.split('\n')[0] ?? '';
      await cli(['wait', pidOfFork]);
    }
    expect(kernelSide.requests.length - before, "requests the kernel's endpoint got from the fork").toBe(0);
    expect(forked.code).toBe(1);
    expect(forked.stderr).toMatch(/settings than yours/i);
  }, 60_000);
});

describe('aos record -o into the workspace', () => {
  // Was broken (fixed): cmd/record.ts writes with fs.writeFile, which follows a symbolic link at the path.
  it('does not write through a symbolic link planted where the tape goes', async () => {
    const pid = await origin();
    const workspace = String(t.env.AOS_WORKSPACE);
    await mkdir(workspace, { recursive: true });
    const rc = path.join(t.home, 'bashrc');
    await writeFile(rc, 'export PS1=safe\n');
    const planted = path.join(workspace, 'run.yaml');
    await symlink(rc, planted);
    const recorded = await cli(['record', String(pid), '-o', planted]);
    expect(await readFile(rc, 'utf8')).toBe('export PS1=safe\n');
    // Refused, or the link itself replaced by a file: either way the target is untouched.
    if (recorded.code === 0) expect((await lstat(planted)).isSymbolicLink()).toBe(false);
    else expect(recorded.stderr).toMatch(/link|cannot write/i);
  }, 60_000);
});
