/**
 * Issue 46.4, red team: what a command inside the sandbox can try against the mounts that hold the
 * policy's fs rules, beyond the corpus of fs-rules-exec.test.ts: namespaces and mounts of its own,
 * /proc, processes that outlive the run, renaming a parent under a narrower grant, odd names, an
 * approval, links FS_* meet. Bypasses it found (each failed before its fix):
 * - as an unprivileged aos, a directory a command made unreadable (`chmod 000 a`) kept the next
 *   run's plan from seeing what to hide there, and it hid nothing (rule-protections.ts: a path the
 *   plan cannot look at refuses the run);
 * - a read rule's directory not there yet could be made a symlink by a command, and what a person
 *   then put there landed where it led (rule-protections.ts: the directory is made, hidden);
 * - a working directory through a symlink made its directories where the link led, in /src
 *   (workspace-fs.ts makeDir: nothing made off the path named).
 */
import { execFile } from 'node:child_process';
import { link, lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const ready = Boolean(await findBwrap());
const SECRET = 'SECRET-0d7c41aa';
const ROOT_CAPS = ['exec', 'fs.read:/**', 'fs.write:/**'];
const RULES = `
  - deny: "fs.write:/src/**"
  - ask: "fs.write:/conf/**"
  - deny: "fs.read:/private/**"
  - deny: "fs.read:/id.txt"
  - deny: "fs.read:/**/*.pem"
  - deny: "fs.write:/deep/a/src/**"
  - deny: "fs.read:/sp ace/**"
  - deny: "fs.read:/café/**"
  - deny: "fs.read:/vault/**"
  - deny: "fs.write:/later/c.yaml"`;
const SAFETY = parsePolicy(
  `version: 1\nroot: {capabilities: [${ROOT_CAPS.map((c) => JSON.stringify(c)).join(', ')}]}\nrules:${RULES}\n`,
  'redteam-sandbox',
).safety;

const FILES: Record<string, string> = {
  'src/a.js': 'orig-src',
  'conf/c.yaml': 'orig-conf',
  'private/key.txt': SECRET,
  'id.txt': SECRET,
  'keys/k.pem': SECRET,
  'deep/a/src/m.js': 'orig-deep',
  'sp ace/key.txt': SECRET,
  'café/key.txt': SECRET,
  'free/f.txt': 'free',
};

let h: Harness;
let tapes = 0;
const host = (p: string): string => path.join(h.workspace, p);

async function runCalls(calls: string[], caps?: string[]) {
  const file = path.join(h.dir, `case${++tapes}.yaml`);
  await writeFile(file, YAML.stringify({ agents: { root: [...calls, EXIT] } }));
  const pcb = await h.kernel.spawn({
    task: 'redteam',
    model: `replay:${file}`,
    ...(caps ? { capabilities: caps } : {}),
  });
  await h.kernel.waitExit(pcb.pid);
  return h.results(pcb.pid).filter((r) => r.name !== 'SYS_EXIT');
}

const exec = (cmd: string) => call('EXEC_CMD', { cmd });

async function expectIntact(): Promise<void> {
  for (const [name, content] of Object.entries(FILES)) expect(await readFile(host(name), 'utf8'), name).toBe(content);
}

describe.runIf(ready)('red team: a command against the mounts that hold the fs rules', () => {
  beforeAll(async () => {
    h = await startHarness({ root: [EXIT] }, { safety: SAFETY, rootCapabilities: ROOT_CAPS });
    for (const [name, content] of Object.entries(FILES)) {
      await mkdir(path.dirname(host(name)), { recursive: true });
      await writeFile(host(name), content);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('cannot make a namespace or a mount of its own, nor undo or look under one', async () => {
    const results = await runCalls([
      exec('unshare -Urm sh -c "umount /workspace/src; echo pwned > /workspace/src/a.js"; echo rc=$?'),
      exec(
        'umount /workspace/private; umount -l /workspace/id.txt; mount -o remount,rw /workspace/src; mount --bind /workspace /tmp; cat /tmp/private/key.txt; echo rc=$?',
      ),
      exec('python3 -c "import os; os.unshare(os.CLONE_NEWUSER)" ; echo rc=$?'),
      exec(
        'cat /proc/1/root/workspace/private/key.txt /proc/self/root/workspace/id.txt; ls -l /proc/1/fd /proc/self/fd; for f in /proc/1/fd/* /proc/self/fd/*; do cat $f/private/key.txt $f/key.txt 2>/dev/null; done; true',
      ),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(JSON.stringify(results)).not.toContain(SECRET);
    await expectIntact();
  });

  it('leaves no process behind to act after its run', async () => {
    // Each waits for a file the test makes once the run is over, then writes: only a survivor could.
    const later = (name: string) => `while [ ! -e free/go ]; do sleep 0.1; done; echo late > free/${name}`;
    const cmd = `(${later('late.txt')}) & nohup sh -c "${later('late2.txt')}" >/dev/null 2>&1 & setsid sh -c "${later('late3.txt')}" & disown -a; echo started`;
    // Control: within its run, such a process does write.
    const results = await runCalls([
      exec(`(${later('early.txt').replace('free/go', 'free/go0')}) & touch free/go0; wait`),
      exec(cmd),
    ]);
    expect(await readFile(host('free/early.txt'), 'utf8')).toBe('late\n');
    expect(results[1]).toMatchObject({ ok: true, value: { stdout: 'started\n' } });
    await writeFile(host('free/go'), '');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const name of ['late.txt', 'late2.txt', 'late3.txt'])
      await expect(lstat(host(`free/${name}`))).rejects.toThrow();
  });

  it('holds a rule below a narrower write grant: no renaming its parent away', async () => {
    const caps = ['exec', 'fs.read:/**', 'fs.write:/deep/**'];
    const results = await runCalls(
      [
        exec(
          'mv deep/a deep/b; mv deep/a/src deep/s2; cp -r deep/a deep/c && echo pwned > deep/c/src/m.js; echo pwned > deep/a/src/m.js; echo ok > deep/ok.txt',
        ),
      ],
      caps,
    );
    expect(results[0]).toMatchObject({ ok: true });
    expect(await readFile(host('deep/ok.txt'), 'utf8')).toBe('ok\n');
    await expectIntact();
  });

  it('hides paths with a space or a non-ASCII name, however the command spells them', async () => {
    const nfd = 'cafe\u0301';
    const results = await runCalls([
      exec(`cat "sp ace/key.txt" café/key.txt ${nfd}/key.txt; cat sp\\ ace/*; ls -la "sp ace" café; true`),
      call('FS_READ', { path: '/sp ace/key.txt' }),
      call('FS_READ', { path: `/${nfd}/key.txt` }),
      call('FS_READ', { path: '/café/key.txt' }),
    ]);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results.slice(1).every((r) => !r.ok)).toBe(true);
    expect(JSON.stringify(results)).not.toContain(SECRET);
  });

  it('an approved FS_WRITE under an ask rule lets no later command write there', async () => {
    const file = path.join(h.dir, `ask${++tapes}.yaml`);
    await writeFile(
      file,
      YAML.stringify({
        agents: {
          root: [
            call('FS_WRITE', { path: '/conf/c.yaml', content: 'approved' }),
            exec('echo pwned > conf/c.yaml; echo pwned > conf/new.yaml; true'),
            EXIT,
          ],
        },
      }),
    );
    const pcb = await h.kernel.spawn({ task: 'ask', model: `replay:${file}` });
    let request: { id: string } | undefined;
    for (let i = 0; i < 200 && !request; i++) {
      [request] = h.kernel.safety.approvals.list(10);
      if (!request) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    h.kernel.safety.approvals.approve((request as { id: string }).id, 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(await readFile(host('conf/c.yaml'), 'utf8')).toBe('approved');
    await expect(lstat(host('conf/new.yaml'))).rejects.toThrow();
    await writeFile(host('conf/c.yaml'), FILES['conf/c.yaml'] as string);
  });

  it("a rule's file whose directory another process makes while a command runs stays out of reach", async () => {
    const file = path.join(h.dir, `later${++tapes}.yaml`);
    // The command starts (planned while /later is not there), then waits for it.
    const cmd =
      'touch free/waiting; for i in $(seq 200); do [ -f later/other.yaml ] && break; sleep 0.05; done; echo pwned > later/c.yaml; mv later/other.yaml later/c.yaml; ln later/other.yaml later/c.yaml; ls later';
    await writeFile(file, YAML.stringify({ agents: { root: [call('EXEC_CMD', { cmd, timeout_s: 30 }), EXIT] } }));
    const waiting = await h.kernel.spawn({ task: 'waits', model: `replay:${file}` });
    while (
      !(await lstat(host('free/waiting')).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    const made = await runCalls([call('FS_WRITE', { path: '/later/other.yaml', content: 'other' })]);
    expect(made[0]).toMatchObject({ ok: true });
    await h.kernel.waitExit(waiting.pid);
    expect(h.results(waiting.pid)[0]).toMatchObject({ ok: true, value: { stdout: 'other.yaml\n' } });
    await expect(lstat(host('later/c.yaml'))).rejects.toThrow();
  });

  it("cannot plant a symlink where a read rule's directory will be, for a person to fill", async () => {
    const planted = await runCalls([exec('mkdir -p free/drop && ln -s free/drop vault; ls -ld vault')]);
    expect(planted[0]).toMatchObject({ ok: true });
    // A person puts a secret where the rule says: mkdir -p, then the file.
    await mkdir(host('vault'), { recursive: true });
    await writeFile(host('vault/key.txt'), SECRET);
    const results = await runCalls([
      exec('cat vault/key.txt free/drop/key.txt; ls -la free/drop vault; true'),
      call('FS_READ', { path: '/free/drop/key.txt' }),
    ]);
    expect(JSON.stringify(results)).not.toContain(SECRET);
    expect((await lstat(host('vault'))).isDirectory()).toBe(true);
  });

  it('a working directory through a symlink makes no directory where the link leads', async () => {
    await symlink('../src', host('free/lnw'));
    const file = path.join(h.dir, `cwd${++tapes}.yaml`);
    await writeFile(file, YAML.stringify({ agents: { root: [exec('pwd'), EXIT] } }));
    const pcb = await h.kernel.spawn({ task: 'cwd', model: `replay:${file}`, workdir: 'free/lnw/made' });
    await h.kernel.waitExit(pcb.pid);
    expect(h.results(pcb.pid)[0]).toMatchObject({ ok: false });
    await expect(lstat(host('src/made'))).rejects.toThrow();
  });

  it('FS_* never follow a link into a protected path, nor open a hard link to one', async () => {
    await symlink('../private/key.txt', host('free/lk'));
    await link(host('id.txt'), host('free/hl.txt'));
    await link(host('src/a.js'), host('free/hw.js'));
    const results = await runCalls([
      call('FS_READ', { path: '/free/lk' }),
      call('FS_READ', { path: '/free/hl.txt' }),
      call('FS_WRITE', { path: '/free/hw.js', content: 'pwned' }),
      call('FS_WRITE', { path: '/free/hw.js', content: 'pwned', append: true }),
      call('FS_WRITE', { path: '/free/lk', content: 'pwned' }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false, false]);
    expect(JSON.stringify(results)).not.toContain(SECRET);
    await expectIntact();
  });
});

const exe = promisify(execFile);
const probe = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../helpers/nonroot-fs-rules.ts');
const tsx = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../node_modules/.bin/tsx');
const root = process.getuid?.() === 0;
const hasSetpriv = await exe('setpriv', ['--version']).then(
  () => true,
  () => false,
);

describe.runIf(ready && (!root || hasSetpriv))(
  'red team: an unprivileged aos and a directory made unreadable to it',
  () => {
    it('refuses the next run rather than plan it blind: nothing hidden is shown', async () => {
      const files = { 'a/private/key.txt': SECRET, 'keys/k.pem': SECRET, 'free/f.txt': 'free' };
      const run = async (
        commands: string[],
        rules = '  - deny: "fs.read:/a/private/**"\n  - deny: "fs.read:/keys/*.pem"',
      ) => {
        const argv = [tsx, probe, rules, JSON.stringify(commands), JSON.stringify(files)];
        const { stdout } = root
          ? await exe('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', ...argv], {
              env: { ...process.env, HOME: '/tmp' },
            })
          : await exe(argv[0] as string, argv.slice(1));
        return JSON.parse(stdout) as Array<{ ok: boolean; stdout?: string; error?: string }>;
      };
      // One run makes a parent of each hidden path unreadable (its own, writable bind), the next restores it and reads.
      const hidden = await run(['chmod 000 a', 'chmod 755 a; cat a/private/key.txt']);
      const walked = await run(['chmod 300 keys', 'chmod 755 keys; cat keys/k.pem']);
      const walkedDeep = await run(
        ['chmod 300 keys', 'chmod 755 keys; cat keys/k.pem'],
        '  - deny: "fs.read:/**/*.pem"',
      );
      const control = await run(['chmod 000 free', 'chmod 755 free; cat free/f.txt']);
      expect(JSON.stringify([hidden, walked, walkedDeep])).not.toContain(SECRET);
      expect(hidden[1]).toMatchObject({ ok: false, error: expect.stringContaining('cannot be looked at (EACCES)') });
      expect(walked[1]).toMatchObject({ ok: false, error: expect.stringContaining('cannot be looked at (EACCES)') });
      expect(walkedDeep[1]).toMatchObject({
        ok: false,
        error: expect.stringContaining('cannot be looked at (EACCES)'),
      });
      // Control: a directory no rule looks into is the command's to make unreadable and readable again.
      expect(control[1]).toMatchObject({ ok: true, stdout: 'free' });
    }, 60_000);
  },
);
