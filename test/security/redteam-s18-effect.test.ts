/**
 * Red team s18: does what the policy says hold where the effect happens? Cases the corpus
 * (fs-rules-exec, redteam-fs-rules*, exec-rule-spellings, exec-corpus, redteam-policy-exec,
 * exec-approval-exact) does not try. Each test asserts the secure behaviour; a failing one is a bypass:
 * - SPAWN_AGENT's replay tape is read past a deny fs.read rule (kernel/proc/model-choice.ts chooseTape
 *   asks the capability only): a tape-shaped hidden file runs as the child and its WAIT output carries
 *   it; any other hidden file answers with a line/column oracle;
 * - a root capability with { }, ? or a wildcard mid-path is matched literally (or narrowly) by FS_*
 *   and cut at its first wildcard for a command's mounts (drivers/exec/scoped-mounts.ts fixedPrefix): a
 *   command read and wrote what FS_* refuse. (A write grant is bound read-write, so a command reads
 *   where it may write: documented in docs/sandbox.md, not a finding.)
 * - path rules with a ?, a trailing space or a zero-width character load and match nothing meant
 *   (kernel/safety/rule-check.ts checkPath refuses { } [ ] but not these).
 */
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const ready = Boolean(await findBwrap());
if (!ready) console.log('bwrap is missing: the command cases are skipped');
const SECRET = 'SECRET-s18-4c1d9e';

const policyOf = (caps: string[], rules: string) =>
  parsePolicy(
    `version: 1\nroot: {capabilities: [${caps.map((c) => JSON.stringify(c)).join(', ')}]}\nrules:${rules}\n`,
    'redteam-s18',
  ).safety;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function put(file: string, content: string): Promise<void> {
  const full = path.join(h!.workspace, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content);
}

/** Everything the model could have been shown: the results of every process. */
const seen = (harness: Harness): string => JSON.stringify(harness.events.filter((e) => e.type === 'result'));

describe('a deny fs.read rule binds every read of a workspace file, not only FS_READ', () => {
  const CAPS = [...ALL_CAPS, 'model:replay:/**'];
  const RULES = `
  - deny: "fs.read:/private/**"`;

  it('a replay tape under a denied path is not read for a child (SPAWN_AGENT model replay:private/…)', async () => {
    h = await startHarness(
      {
        root: [
          call('FS_READ', { path: '/private/session.yaml' }),
          call('SPAWN_AGENT', { role: 'w', model: 'replay:private/session.yaml' }),
          call('WAIT', { timeout_s: 10 }),
          EXIT,
        ],
      },
      { rootCapabilities: CAPS, safety: policyOf(CAPS, RULES) },
    );
    // A recorded session the person keeps out of agents' reach: its replies hold what that session saw.
    await put(
      'private/session.yaml',
      YAML.stringify({ agents: { w: [call('SYS_EXIT', { code: 0, result: `the key is ${SECRET}` })] } }),
    );
    await h.run();
    const results = h.results(1);
    // Control: FS_READ of the same file is refused by the rule.
    expect(results.find((r) => r.name === 'FS_READ')).toMatchObject({ ok: false, errno: 'EACCES' });
    // The tape is a read of that file too: today the child runs on it and its WAIT output is the secret.
    expect(seen(h)).not.toContain(SECRET);
    expect(results.find((r) => r.name === 'SPAWN_AGENT')).toMatchObject({ ok: false, errno: 'EACCES' });
  });

  it('a hidden file that is no tape is refused as FS_READ refuses it, not parsed (no line/column oracle)', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'w', model: 'replay:private/a.env' }),
          call('SPAWN_AGENT', { role: 'w', model: 'replay:private/b.env' }),
          EXIT,
        ],
      },
      { rootCapabilities: CAPS, safety: policyOf(CAPS, RULES) },
    );
    // Two secrets differing in one character: the parser's answer tells them apart.
    await put('private/a.env', `TOKEN: ${SECRET}\nPIN: 1234\n`);
    await put('private/b.env', `TOKEN: ${SECRET}\nPIN: 12:34: x\n`);
    await h.run();
    const spawns = h.results(1).filter((r) => r.name === 'SPAWN_AGENT');
    expect(spawns.map((r) => r.errno)).toEqual(['EACCES', 'EACCES']);
  });

  it('a workspace tape read again once it changed (its directory swapped for a link into the denied path) is refused', async () => {
    // The operator starts a process on a tape in the workspace (aos spawn --model replay:<path>); an agent
    // that may write there swaps its directory for a link to /private while it runs: the tape is read
    // again (it changed), and must not be read from where the rule holds.
    h = await startHarness({ root: [EXIT] }, { rootCapabilities: CAPS, safety: policyOf(CAPS, RULES) });
    const w = (entries: string[]): string => YAML.stringify({ agents: { w: entries } });
    await put('pubdir/t.yaml', w([call('SLEEP', { seconds: 1 }), EXIT]));
    const exits = [call('SYS_EXIT', { code: 0, result: SECRET }), call('SYS_EXIT', { code: 0, result: SECRET })];
    await put('private/t.yaml', w(exits));
    const harness = h;
    const running = h.run({ name: 'w', model: `replay:${path.join(h.workspace, 'pubdir/t.yaml')}` });
    await until(() => harness.events.some((e) => e.type === 'syscall' && e.name === 'SLEEP'), 10_000);
    await rename(path.join(harness.workspace, 'pubdir'), path.join(harness.workspace, 'pubdir-old'));
    await symlink('private', path.join(harness.workspace, 'pubdir'));
    const pcb = await running;
    expect(JSON.stringify(harness.events)).not.toContain(SECRET);
    expect(pcb.exitCode).not.toBe(0);
  }, 30_000);
});

/** The root capabilities a policy file gives, as the kernel loads them. */
function rootCapsOf(caps: string[]): string[] {
  const policy = parsePolicy(
    `version: 1\nroot: {capabilities: [${caps.map((c) => JSON.stringify(c)).join(', ')}]}\n`,
    'redteam-s18-caps',
  );
  return [...policy.rootCapabilities];
}

describe.runIf(ready)('a capability the policy accepts holds the same for FS_* and for commands', () => {
  it('fs.write:/out/{a,b}/** (braces, which FS_* read literally) lets no command write the rest of /out', async () => {
    // The policy refuses it (a reader expects alternatives); granted otherwise (a child's capabilities), it is literal for both.
    expect(() => rootCapsOf(['exec', 'fs.write:/out/{a,b}/**'])).toThrow(/not wildcards here/);
    const caps = ['exec', 'fs.read:/pub/**', 'fs.read:/out/{a,b}/**', 'fs.write:/out/{a,b}/**'];
    h = await startHarness(
      {
        root: [
          call('FS_WRITE', { path: '/out/c.txt', content: 'by FS_WRITE' }),
          call('EXEC_CMD', { cmd: 'echo pwned > /workspace/out/c.txt; cat /workspace/out/other.txt; ls /workspace' }),
          EXIT,
        ],
      },
      { rootCapabilities: caps },
    );
    await put('out/other.txt', SECRET);
    await put('pub/p.txt', 'pub');
    await h.run();
    const [fsWrite, exec] = h.results(1);
    // Control: the capability covers no /out/c.txt for FS_WRITE.
    expect(fsWrite).toMatchObject({ name: 'FS_WRITE', ok: false, errno: 'EPERM' });
    // A command is held to the same grant: it neither writes nor reads the rest of /out.
    expect(exec).toMatchObject({ name: 'EXEC_CMD', ok: true });
    expect(await readFile(path.join(h.workspace, 'out/c.txt'), 'utf8').catch(() => 'absent')).toBe('absent');
    expect(JSON.stringify(exec)).not.toContain(SECRET);
  });

  it('fs.read:/docs/v?/** (a ? FS_* reads literally) shows a command nothing outside /docs', async () => {
    expect(() => rootCapsOf(['exec', 'fs.read:/docs/v?/**'])).toThrow(/not a wildcard in a path/);
    const caps = ['exec', 'fs.read:/docs/v?/**'];
    h = await startHarness(
      {
        root: [
          call('FS_READ', { path: '/docs/v1/readme.txt' }),
          call('EXEC_CMD', { cmd: 'cat /workspace/docs/v1/readme.txt /workspace/docs/internal.txt' }),
          EXIT,
        ],
      },
      { rootCapabilities: caps },
    );
    await put('docs/v1/readme.txt', 'readme');
    await put('docs/internal.txt', SECRET);
    await h.run();
    const [fsRead, exec] = h.results(1);
    // FS_READ takes the ? literally: /docs/v1 is not granted.
    expect(fsRead).toMatchObject({ name: 'FS_READ', ok: false, errno: 'EPERM' });
    // A command sees no more than FS_READ would read.
    expect(JSON.stringify(exec)).not.toContain(SECRET);
  });

  it("fs.read:/users/*/public/** (a wildcard mid-path) shows a command no one's private files", async () => {
    const caps = rootCapsOf(['exec', 'fs.read:/users/*/public/**']);
    h = await startHarness(
      {
        root: [
          call('FS_READ', { path: '/users/alice/private/diary.txt' }),
          call('EXEC_CMD', {
            cmd: 'cat /workspace/users/alice/public/hello.txt /workspace/users/alice/private/diary.txt',
          }),
          EXIT,
        ],
      },
      { rootCapabilities: caps },
    );
    await put('users/alice/public/hello.txt', 'hello');
    await put('users/alice/private/diary.txt', SECRET);
    await h.run();
    const [fsRead, exec] = h.results(1);
    expect(fsRead).toMatchObject({ name: 'FS_READ', ok: false, errno: 'EPERM' });
    // Control: the granted file is there for the command.
    expect(JSON.stringify(exec)).toContain('hello');
    expect(JSON.stringify(exec)).not.toContain(SECRET);
  });
});

describe('a path rule the policy accepts matches what its reader means, or is refused', () => {
  const CAPS = ['fs.read:/**', 'fs.write:/**'];
  // Each: a deny rule as a person would write it, and a file it is meant to hide. The policy refuses
  // `{a,b}` and `[ab]` ("not wildcards here"), a trailing `/`, `//`, `\`, a control character; these
  // load, and FS_READ (and a command's mounts) hold them on no file there is.
  const CASES: Array<[string, string, string]> = [
    ['a ? (a wildcard in exec rules: exec:g?t)', 'deny: "fs.read:/keys/key?.txt"', '/keys/key1.txt'],
    ['a trailing space inside the quotes', 'deny: "fs.read:/private/** "', '/private/key.txt'],
    ['a zero-width space (pasted)', 'deny: "fs.read:/pri\\u200bvate/**"', '/private/key.txt'],
  ];
  it.each(CASES)('%s: %s', async (_what, rule, file) => {
    let safety;
    try {
      safety = policyOf(CAPS, `\n  - ${rule}`);
    } catch (error) {
      // Refused: the person is told at once, the way { } and [ ] are.
      expect(String(error)).toMatch(/rule/);
      return;
    }
    h = await startHarness({ root: [call('FS_READ', { path: file }), EXIT] }, { rootCapabilities: CAPS, safety });
    await put(file.slice(1), SECRET);
    await h.run();
    expect(h.results(1)[0]).toMatchObject({ name: 'FS_READ', ok: false });
    expect(seen(h)).not.toContain(SECRET);
  });
});
