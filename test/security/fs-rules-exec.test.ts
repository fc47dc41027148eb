/**
 * Issue 46.4: the policy's fs rules bind the shell. Under `deny: "fs.write:/src/**"`, `ask:
 * "fs.write:/conf/**"`, `deny: "fs.read:/private/**"`, a rule on one file and rules with wildcards,
 * a root holding `fs.write:/**`, `fs.read:/**` and `exec` could write and read through EXEC_CMD
 * what FS_WRITE and FS_READ refused. Each rule × each way a shell reads or writes (redirects, cp,
 * mv, tee, dd, python, links made in the run, truncate, rm, mkdir, touch, sed -i, renaming a
 * parent), through a real kernel and a real bwrap: afterwards the host file is as it was, and the
 * secret is in no result.
 */
import { chmod, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { param } from '../../sys/param.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

const ready = Boolean(await findBwrap());
if (!ready) console.log('bwrap is missing: fs rule exec tests skipped');

const SECRET = 'SECRET-7f3a9c1e';
const ROOT_CAPS = ['exec', 'fs.read:/**', 'fs.write:/**'];
const RULES = `
  - deny: "fs.write:/src/**"
  - ask: "fs.write:/conf/**"
  - deny: "fs.read:/private/**"
  - deny: "fs.write:/one.txt"
  - deny: "fs.write:/two.txt"
  - deny: "fs.read:/id.txt"
  - deny: "fs.write:/data/*.csv"
  - deny: "fs.read:/**/*.pem"
  - deny: "fs.write:/gen/**"
  - deny: "fs.write:/deep/a/src/**"`;
const policy = (rules: string) =>
  parsePolicy(
    `version: 1\nroot: {capabilities: [${ROOT_CAPS.map((c) => JSON.stringify(c)).join(', ')}]}\nrules:${rules}\n`,
    'fs-rules-policy',
  ).safety;
const POLICY = policy(RULES);

/** The workspace every case starts from. */
const FILES: Record<string, string> = {
  'src/a.js': 'orig-src',
  'conf/c.yaml': 'orig-conf',
  'private/key.txt': SECRET,
  'private/sub/deeper.txt': SECRET,
  'one.txt': 'orig-one',
  'id.txt': SECRET,
  'data/a.csv': 'orig-csv',
  'data/notes.txt': 'notes',
  'keys/k.pem': SECRET,
  'keys/pub.txt': 'pub',
  'deep/a/src/m.js': 'orig-deep',
  'free/f.txt': 'free',
};

async function resetWorkspace(workspace: string): Promise<void> {
  await rm(workspace, { recursive: true, force: true });
  for (const [name, content] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(workspace, name)), { recursive: true });
    await writeFile(path.join(workspace, name), content);
  }
}

/** Every file under a host directory with its content (symlinks as `-> target`). */
async function tree(dir: string, base = dir): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const rel = path.relative(base, full);
    if (e.isSymbolicLink()) out[rel] = '-> link';
    else if (e.isDirectory()) Object.assign(out, { [`${rel}/`]: '' }, await tree(full, base));
    else out[rel] = await readFile(full, 'utf8');
  }
  return out;
}

let h: Harness;
let tapes = 0;

/** Runs one process of `calls` (each reply one call) on the shared kernel; returns its pid. */
async function runCalls(calls: string[]): Promise<number> {
  const file = path.join(h.dir, `case${++tapes}.yaml`);
  await writeFile(file, YAML.stringify({ agents: { root: [...calls, EXIT] } }));
  const pcb = await h.kernel.spawn({ task: 'fs rules', model: `replay:${file}` });
  await h.kernel.waitExit(pcb.pid);
  return pcb.pid;
}

const execValue = (pid: number, index = 0): Record<string, unknown> | undefined => {
  const result = h.results(pid).filter((r) => r.name === 'EXEC_CMD')[index];
  return result?.value as Record<string, unknown> | undefined;
};

// ---- the write corpus: every way a shell writes, against every kind of write rule ----

interface WriteTarget {
  /** The rule, as the policy says it. */
  rule: string;
  /** A file the rule protects (it exists). */
  file: string;
  /** The directory the rule protects ('' when it names one file). */
  dir: string;
  /** A new name the rule protects, which no run may create. */
  fresh: string | null;
}

const WRITE_TARGETS: WriteTarget[] = [
  { rule: 'deny: "fs.write:/src/**" (a subtree)', file: 'src/a.js', dir: 'src', fresh: 'src/new.js' },
  { rule: 'ask: "fs.write:/conf/**" (a subtree, asked)', file: 'conf/c.yaml', dir: 'conf', fresh: 'conf/new.yaml' },
  { rule: 'deny: "fs.write:/one.txt" (a single file)', file: 'one.txt', dir: '', fresh: null },
  { rule: 'deny: "fs.write:/data/*.csv" (a glob)', file: 'data/a.csv', dir: 'data', fresh: 'data/new.csv' },
  {
    rule: 'deny: "fs.write:/deep/a/src/**" (nested under writable parents)',
    file: 'deep/a/src/m.js',
    dir: 'deep/a/src',
    fresh: 'deep/a/src/new.js',
  },
];

type Op = [string, (t: WriteTarget) => string | null];
const name = (t: WriteTarget): string => path.basename(t.file);
const WRITE_OPS: Op[] = [
  ['redirect >', (t) => `echo pwned > ${t.file}`],
  ['redirect >>', (t) => `echo pwned >> ${t.file}`],
  ['cp over it', (t) => `echo pwned > /tmp/p && cp /tmp/p ${t.file}`],
  ['cp --remove-destination', (t) => `echo pwned > /tmp/p && cp --remove-destination /tmp/p ${t.file}`],
  ['mv from /tmp over it', (t) => `echo pwned > /tmp/p && mv -f /tmp/p ${t.file}`],
  ['mv from the workspace over it', (t) => `echo pwned > free/p.tmp && mv -f free/p.tmp ${t.file}`],
  ['mv it away', (t) => `mv ${t.file} free/moved`],
  ['tee', (t) => `echo pwned | tee ${t.file}`],
  ['dd of=', (t) => `echo pwned | dd of=${t.file}`],
  ['python3 open()', (t) => `python3 -c "open('${t.file}', 'w').write('pwned')"`],
  [
    'python3 os.rename',
    (t) => `python3 -c "import os; open('free/py.tmp', 'w').write('pwned'); os.rename('free/py.tmp', '${t.file}')"`,
  ],
  ['python3 os.unlink', (t) => `python3 -c "import os; os.unlink('${t.file}')"`],
  [
    'a symlink to its directory made in the run',
    (t) => (t.dir ? `ln -s /workspace/${t.dir} free/lnk && echo pwned > free/lnk/${name(t)}` : null),
  ],
  ['a symlink to the file made in the run', (t) => `ln -s /workspace/${t.file} free/lf && echo pwned > free/lf`],
  ['a hard link made in the run', (t) => `ln ${t.file} free/hl && echo pwned > free/hl`],
  ['truncate', (t) => `truncate -s 0 ${t.file}`],
  ['rm', (t) => `rm -f ${t.file}`],
  ['rm -rf its directory', (t) => (t.dir ? `rm -rf ${t.dir}` : null)],
  ['rename its directory', (t) => (t.dir ? `mv ${t.dir} free/dir-moved` : null)],
  [
    'rename a parent of its directory',
    (t) => (t.dir.includes('/') ? `mv ${t.dir.split('/')[0]} free/parent-moved` : null),
  ],
  ['touch', (t) => `touch -d '2001-01-01' ${t.file}`],
  ['touch a new name', (t) => (t.fresh ? `touch ${t.fresh}` : null)],
  [
    'mkdir -p and write a new name',
    (t) => (t.fresh ? `mkdir -p ${path.dirname(t.fresh)} && echo pwned > ${t.fresh}` : null),
  ],
  ['sed -i', (t) => `sed -i s/orig/pwned/ ${t.file}`],
  ['chmod', (t) => `chmod 600 ${t.file}`],
];

const WRITE_CASES = WRITE_TARGETS.flatMap((t) =>
  WRITE_OPS.flatMap(([op, make]) => (make(t) === null ? [] : [{ target: t, op, cmd: make(t) as string }])),
);

// ---- the read corpus: every way a shell reads, against every kind of read rule ----

interface ReadTarget {
  rule: string;
  file: string;
  dir: string;
}

const READ_TARGETS: ReadTarget[] = [
  { rule: 'deny: "fs.read:/private/**" (a subtree)', file: 'private/key.txt', dir: 'private' },
  { rule: 'deny: "fs.read:/id.txt" (a single file)', file: 'id.txt', dir: '' },
  { rule: 'deny: "fs.read:/**/*.pem" (a glob)', file: 'keys/k.pem', dir: '' },
];

const READ_OPS: Array<[string, (t: ReadTarget) => string | null]> = [
  ['cat', (t) => `cat ${t.file}`],
  ['< redirect', (t) => `while IFS= read -r l || [ -n "$l" ]; do echo "$l"; done < ${t.file}`],
  ['cp out and cat', (t) => `cp ${t.file} /tmp/c; cat /tmp/c`],
  ['cp in the workspace and cat', (t) => `cp ${t.file} free/c.txt; cat free/c.txt`],
  ['dd if=', (t) => `dd if=${t.file} status=none`],
  ['tee', (t) => `tee < ${t.file}`],
  ['python3 open()', (t) => `python3 -c "print(open('${t.file}').read())"`],
  ['base64 and back', (t) => `base64 ${t.file} | base64 -d`],
  ['tar', (t) => `tar cf - ${t.dir || t.file} | tar xOf -`],
  ['grep -r', () => 'grep -r SECRET . ; true'],
  ['find -exec cat', () => 'find . -type f -exec cat {} + ; true'],
  [
    'a symlink to its directory made in the run',
    (t) => (t.dir ? `ln -s /workspace/${t.dir} free/lnk && cat free/lnk/${path.basename(t.file)}` : null),
  ],
  ['a symlink to the file made in the run', (t) => `ln -s /workspace/${t.file} free/lf && cat free/lf`],
  ['a hard link made in the run', (t) => `ln ${t.file} free/hl && cat free/hl`],
  [
    'mv and cat',
    (t) => `mv ${t.dir || t.file} free/moved && cat free/moved${t.dir ? `/${path.basename(t.file)}` : ''}`,
  ],
  ['chmod and cat', (t) => `chmod 755 ${t.dir || '.'} ; chmod 644 ${t.file} ; cat ${t.file}`],
  ['a deeper file', (t) => (t.dir ? `cat ${t.dir}/sub/deeper.txt` : null)],
  [
    'python3 os.walk',
    () => `python3 -c "import os
for d, _, fs in os.walk('.'):
    for f in fs:
        try: print(open(os.path.join(d, f)).read())
        except Exception as e: print(e)"`,
  ],
];

const READ_CASES = READ_TARGETS.flatMap((t) =>
  READ_OPS.flatMap(([op, make]) => (make(t) === null ? [] : [{ target: t, op, cmd: make(t) as string }])),
);

describe.runIf(ready)('fs rules hold in EXEC_CMD, whatever the shell does', () => {
  beforeAll(async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY, rootCapabilities: ROOT_CAPS });
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(WRITE_CASES.map((c) => [c.target.rule, c.op, c]))(
    '%s: %s leaves the host file as it was',
    async (_rule, _op, c) => {
      await resetWorkspace(h.workspace);
      const before = await stat(path.join(h.workspace, c.target.file));
      const pid = await runCalls([call('EXEC_CMD', { cmd: c.cmd })]);
      expect(h.results(pid)[0]?.name).toBe('EXEC_CMD');
      expect(await readFile(path.join(h.workspace, c.target.file), 'utf8')).toBe(FILES[c.target.file]);
      const after = await stat(path.join(h.workspace, c.target.file));
      expect(after.mode).toBe(before.mode);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      if (c.target.fresh) await expect(lstat(path.join(h.workspace, c.target.fresh))).rejects.toThrow();
      const protectedTree = c.target.dir ? await tree(path.join(h.workspace, c.target.dir)) : {};
      expect(Object.values(protectedTree).join('\n')).not.toContain('pwned');
      // The exec boundary refuses; it does not ask (FS_WRITE is the way to ask).
      expect(h.kernel.safety.approvals.list(10)).toEqual([]);
    },
  );

  it.each(READ_CASES.map((c) => [c.target.rule, c.op, c]))('%s: %s never shows the secret', async (_rule, _op, c) => {
    await resetWorkspace(h.workspace);
    const pid = await runCalls([call('EXEC_CMD', { cmd: c.cmd })]);
    expect(h.results(pid)[0]?.name).toBe('EXEC_CMD');
    expect(JSON.stringify(h.eventsOf(pid))).not.toContain(SECRET);
    expect(await readFile(path.join(h.workspace, c.target.file), 'utf8')).toBe(SECRET);
  });

  it('leaves what no rule names writable and readable, and a file a run makes itself is its own', async () => {
    await resetWorkspace(h.workspace);
    const cmd =
      'echo new > free/new.txt && cat free/f.txt free/new.txt && echo n >> data/notes.txt && cat keys/pub.txt && mkdir -p free/mine && echo own > free/mine/own.pem && cat free/mine/own.pem';
    const pid = await runCalls([call('EXEC_CMD', { cmd })]);
    expect(execValue(pid)).toMatchObject({ exit_code: 0, stdout: 'freenew\npubown\n' });
    expect(execValue(pid)).not.toHaveProperty('note');
    expect(await readFile(path.join(h.workspace, 'data/notes.txt'), 'utf8')).toBe('notesn\n');
  });

  it("makes a write rule's missing directory on the host, read-only to the command", async () => {
    await resetWorkspace(h.workspace);
    const pid = await runCalls([call('EXEC_CMD', { cmd: 'ls -d gen && echo x > gen/a.txt' })]);
    expect(execValue(pid)).toMatchObject({ stdout: 'gen\n' });
    expect(await tree(path.join(h.workspace, 'gen'))).toEqual({});
  });

  it('keeps the names of the directory a missing file rule would be made in', async () => {
    await resetWorkspace(h.workspace);
    const cmd = 'echo pwned > two.txt; mkdir two.txt; echo ok >> free/f.txt && cat free/f.txt';
    const pid = await runCalls([call('EXEC_CMD', { cmd })]);
    expect(execValue(pid)?.stdout).toBe('freeok\n');
    await expect(lstat(path.join(h.workspace, 'two.txt'))).rejects.toThrow();
  });

  it('notes the rules on a failed run, naming the way to ask, and nothing on a successful one', async () => {
    await resetWorkspace(h.workspace);
    const pid = await runCalls([
      call('EXEC_CMD', { cmd: 'echo pwned > src/a.js' }),
      call('EXEC_CMD', { cmd: 'echo pwned > conf/c.yaml' }),
      call('EXEC_CMD', { cmd: 'cat private/key.txt' }),
      call('EXEC_CMD', { cmd: 'touch data/new.csv' }),
      call('EXEC_CMD', { cmd: 'echo fine > free/fine.txt' }),
      call('EXEC_CMD', { cmd: 'cat /nonexistent' }),
    ]);
    const [src, conf, priv, glob, fine, other] = [0, 1, 2, 3, 4, 5].map((i) => execValue(pid, i));
    expect(src?.note).toContain('/src is read-only to commands under deny: "fs.write:/src/**"');
    expect(conf?.note).toContain('ask: "fs.write:/conf/**" (write it with FS_WRITE, which asks a person)');
    expect(priv?.note).toContain('/private is hidden from commands under deny: "fs.read:/private/**"');
    expect(glob?.note).toMatch(
      /\/data .*deny: "fs\.write:\/data\/\*\.csv", whose wildcard could match a new name there/,
    );
    expect(fine).toMatchObject({ exit_code: 0 });
    expect(fine).not.toHaveProperty('note');
    expect(other?.exit_code).not.toBe(0);
    expect(other).not.toHaveProperty('note');
  });

  it('asks a person for FS_WRITE under the ask rule, the way the note names', async () => {
    await resetWorkspace(h.workspace);
    const file = path.join(h.dir, `ask${++tapes}.yaml`);
    await writeFile(
      file,
      YAML.stringify({ agents: { root: [call('FS_WRITE', { path: '/conf/c.yaml', content: 'approved' }), EXIT] } }),
    );
    const pcb = await h.kernel.spawn({ task: 'ask', model: `replay:${file}` });
    let request: { id: string } | undefined;
    for (let i = 0; i < 200 && !request; i++) {
      [request] = h.kernel.safety.approvals.list(10);
      if (!request) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(request).toBeDefined();
    h.kernel.safety.approvals.approve(request!.id, 'socket');
    await h.kernel.waitExit(pcb.pid);
    expect(await readFile(path.join(h.workspace, 'conf/c.yaml'), 'utf8')).toBe('approved');
  });
});

describe.runIf(ready)('FS_* decide on the path a symlink leads to', () => {
  beforeAll(async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY, rootCapabilities: ROOT_CAPS });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses FS_WRITE, FS_READ and FS_LIST through a link a command made into a protected path', async () => {
    await resetWorkspace(h.workspace);
    const pid = await runCalls([
      call('EXEC_CMD', { cmd: 'ln -s ../src free/lnk && ln -s ../private free/lnp && ln -s ../keys free/lnk2' }),
      call('FS_WRITE', { path: '/free/lnk/a.js', content: 'pwned' }),
      call('FS_WRITE', { path: 'free/lnk/new.js', content: 'pwned' }),
      call('FS_READ', { path: '/free/lnp/key.txt' }),
      call('FS_LIST', { path: '/free/lnp' }),
      call('FS_READ', { path: '/free/lnk2/k.pem' }),
      call('FS_READ', { path: '/free/lnk2/pub.txt' }),
    ]);
    const [made, write, writeNew, read, list, pem, pub] = h.results(pid);
    expect(made).toMatchObject({ ok: true, value: { exit_code: 0 } });
    expect(write).toMatchObject({
      ok: false,
      errno: 'EACCES',
      message: expect.stringContaining('deny: "fs.write:/src/**"'),
    });
    expect(writeNew).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(read).toMatchObject({
      ok: false,
      errno: 'EACCES',
      message: expect.stringContaining('deny: "fs.read:/private/**"'),
    });
    expect(list).toMatchObject({ ok: false, errno: 'EACCES' });
    expect(pem).toMatchObject({ ok: false, errno: 'EACCES' });
    // A path no rule holds is reached through the link as before.
    expect(pub).toMatchObject({ ok: true, value: { content: 'pub' } });
    expect(await readFile(path.join(h.workspace, 'src/a.js'), 'utf8')).toBe('orig-src');
    await expect(lstat(path.join(h.workspace, 'src/new.js'))).rejects.toThrow();
    expect(JSON.stringify(h.eventsOf(pid))).not.toContain(SECRET);
  });
});

describe.runIf(ready)('fs rules and the sandbox around them', () => {
  afterEach(async () => {
    await h.close();
  });

  it('holds a rule inside a narrower write grant, and hides inside a granted path', async () => {
    const safety = policy('\n  - deny: "fs.write:/src/**"\n  - deny: "fs.read:/out/secret/**"');
    h = await startHarness(
      { root: [EXIT] },
      { safety, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/src/out/**', 'fs.write:/out/**'] },
    );
    await resetWorkspace(h.workspace);
    await mkdir(path.join(h.workspace, 'src/out'), { recursive: true });
    await mkdir(path.join(h.workspace, 'out/secret'), { recursive: true });
    await writeFile(path.join(h.workspace, 'out/secret/s.txt'), SECRET);
    const pid = await runCalls([
      call('EXEC_CMD', {
        cmd: 'echo pwned > src/out/x.txt; cat out/secret/s.txt; echo ok > out/ok.txt && cat out/ok.txt',
      }),
    ]);
    expect(execValue(pid)?.stdout).toBe('ok\n');
    await expect(lstat(path.join(h.workspace, 'src/out/x.txt'))).rejects.toThrow();
    expect(JSON.stringify(h.eventsOf(pid))).not.toContain(SECRET);
  });

  it('applies a reloaded policy to the next run', async () => {
    h = await startHarness({ root: [EXIT] }, { safety: policy(' []'), rootCapabilities: ROOT_CAPS });
    await resetWorkspace(h.workspace);
    const first = await runCalls([call('EXEC_CMD', { cmd: 'echo one > src/a.js' })]);
    expect(execValue(first)).toMatchObject({ exit_code: 0 });
    h.kernel.reloadPolicy({ file: 'fs-rules-policy', rootCapabilities: ROOT_CAPS, safety: POLICY, fromEnv: false });
    const second = await runCalls([call('EXEC_CMD', { cmd: 'echo two > src/a.js' })]);
    expect(execValue(second)?.exit_code).not.toBe(0);
    expect(await readFile(path.join(h.workspace, 'src/a.js'), 'utf8')).toBe('one\n');
  });

  it('refuses a run when a glob read rule has more entries to look through, or matches to hide, than its limits', async () => {
    h = await startHarness(
      { root: [EXIT] },
      { safety: policy('\n  - deny: "fs.read:/**/*.pem"'), rootCapabilities: ROOT_CAPS },
    );
    await resetWorkspace(h.workspace);
    const limits = param as { execRuleWalkEntries: number; execRuleHiddenMatches: number };
    const saved = { ...limits };
    try {
      limits.execRuleWalkEntries = 5;
      const walked = await runCalls([call('EXEC_CMD', { cmd: 'cat keys/k.pem' })]);
      expect(h.results(walked)[0]).toMatchObject({
        ok: false,
        errno: 'EACCES',
        message: expect.stringMatching(
          /deny: "fs\.read:\/\*\*\/\*\.pem".*more than 5 entries to look through.*execRuleWalkEntries/,
        ),
      });
      limits.execRuleWalkEntries = saved.execRuleWalkEntries;
      limits.execRuleHiddenMatches = 0;
      const matched = await runCalls([call('EXEC_CMD', { cmd: 'cat keys/k.pem' })]);
      expect(h.results(matched)[0]).toMatchObject({
        ok: false,
        errno: 'EACCES',
        message: expect.stringMatching(/more than 0 matches to hide.*execRuleHiddenMatches/),
      });
      expect(JSON.stringify(h.eventsOf(matched))).not.toContain(SECRET);
    } finally {
      Object.assign(limits, {
        execRuleWalkEntries: saved.execRuleWalkEntries,
        execRuleHiddenMatches: saved.execRuleHiddenMatches,
      });
    }
  });

  it("refuses a run when a write rule's path is a symlink", async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY, rootCapabilities: ROOT_CAPS });
    await resetWorkspace(h.workspace);
    await rm(path.join(h.workspace, 'conf'), { recursive: true });
    await symlink('free', path.join(h.workspace, 'conf'));
    const pid = await runCalls([call('EXEC_CMD', { cmd: 'echo pwned > conf/c.yaml' })]);
    expect(h.results(pid)[0]).toMatchObject({
      ok: false,
      errno: 'EACCES',
      message: expect.stringContaining('symbolic link'),
    });
    await expect(lstat(path.join(h.workspace, 'free/c.yaml'))).rejects.toThrow();
  });

  it('makes no working directory or granted directory inside a path a write rule protects', async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY, rootCapabilities: ROOT_CAPS });
    await resetWorkspace(h.workspace);
    const file = path.join(h.dir, 'workdir.yaml');
    await writeFile(file, YAML.stringify({ agents: { root: [call('EXEC_CMD', { cmd: 'pwd' }), EXIT] } }));
    const inSrc = await h.kernel.spawn({ task: 'workdir', model: `replay:${file}`, workdir: 'src/new' });
    await h.kernel.waitExit(inSrc.pid);
    expect(h.results(inSrc.pid)[0]).toMatchObject({ ok: false, errno: 'ENOENT' });
    await expect(lstat(path.join(h.workspace, 'src/new'))).rejects.toThrow();
    const granted = await h.kernel.spawn({
      task: 'grant',
      model: `replay:${file}`,
      capabilities: ['exec', 'fs.read:/**', 'fs.write:/free/**', 'fs.write:/src/made/**'],
    });
    await h.kernel.waitExit(granted.pid);
    expect(h.results(granted.pid)[0]).toMatchObject({ ok: true, value: { stdout: '/workspace\n' } });
    await expect(lstat(path.join(h.workspace, 'src/made'))).rejects.toThrow();
  });

  it('refuses a run whose working directory a rule hides', async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY, rootCapabilities: ROOT_CAPS });
    await resetWorkspace(h.workspace);
    await chmod(path.join(h.workspace, 'private'), 0o755);
    const file = path.join(h.dir, 'cwd.yaml');
    await writeFile(file, YAML.stringify({ agents: { root: [call('EXEC_CMD', { cmd: 'cat key.txt' }), EXIT] } }));
    const pcb = await h.kernel.spawn({ task: 'cwd', model: `replay:${file}`, workdir: 'private' });
    await h.kernel.waitExit(pcb.pid);
    expect(h.results(pcb.pid)[0]).toMatchObject({
      ok: false,
      errno: 'EACCES',
      message: expect.stringContaining('hidden'),
    });
    expect(JSON.stringify(h.eventsOf(pcb.pid))).not.toContain(SECRET);
  });
});
