/**
 * `aos audit export` and `aos audit verify --export FILE --pubkey KEY` through the real daemon and
 * CLI (issue 52.5): the export holds every record `aos audit` shows, its key is made once and kept
 * 0600 in the home, the check runs where no kernel is (another home, no daemon started), an edit of
 * the file is named, a later export follows an earlier one, and a broken trail is never signed.
 */
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**"]
rules:
  - deny: "fs.write:/etc/**"
  - allow: "fs.write:/out/**"
`;
const WRITE = (p: string): string => `[SYS_CALL::FS_WRITE] {"path":"${p}","content":"x"}`;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

let t: TestHome;
let elsewhere: string;
beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'rules.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy });
  elsewhere = await mkdtemp(path.join(os.tmpdir(), 'aos-outsider-'));
});
afterAll(async () => {
  await t.dispose();
  await rm(elsewhere, { recursive: true, force: true });
});

async function run(name: string, script: string[]): Promise<void> {
  const model = await t.tape({ [name]: script }, `${name}.yaml`);
  const r = await t.cli(['spawn', name, '--model', model, '--name', name]);
  expect(r.code, r.stderr).not.toBeNull();
}

describe('aos audit export: a trail an outsider can check with the public key alone', () => {
  it('exports every record, signs it with a key kept 0600, and verifies offline; an edit is named', async () => {
    await run('one', [WRITE('/out/a.txt'), WRITE('/etc/passwd'), EXIT]);
    await run('two', [WRITE('/out/b.txt'), EXIT]);
    const listed = JSON.parse((await t.cli(['audit', '--json'])).stdout) as Array<{ id: number }>;
    expect(listed.length).toBeGreaterThanOrEqual(3);

    const file = path.join(elsewhere, 'trail.jsonl');
    const ex = await t.cli(['audit', 'export', '--out', file, '--json']);
    expect(ex.code, ex.stderr).toBe(0);
    const summary = PUBLISHED['audit-export'].parse(JSON.parse(ex.stdout));
    expect(summary).toMatchObject({ rows: listed.length, first_id: 1, last_id: listed.at(-1)?.id });
    const key = path.join(t.home, 'audit-sign.key');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(summary.public_key_file).toBe(path.join(t.home, 'audit-sign.pub'));
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(listed.length + 1);
    expect(lines.join('\n')).not.toContain('PRIVATE KEY');

    // On "another machine": only the file and the public key, a home with no kernel and none started.
    const pub = path.join(elsewhere, 'aos.pub');
    await copyFile(summary.public_key_file as string, pub);
    const outsider = { AOS_HOME: path.join(elsewhere, 'home'), AOS_WORKSPACE: '', AOS_NO_AUTOSTART: '1' };
    const ok = await t.cli(['audit', 'verify', '--export', file, '--pubkey', pub], { env: outsider });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`export intact: ${listed.length} records`));
    const okJson = await t.cli(['audit', 'verify', '--export', file, '--pubkey', pub, '--json'], { env: outsider });
    expect(PUBLISHED['audit-verify'].safeParse(JSON.parse(okJson.stdout)).success).toBe(true);
    expect(existsSync(path.join(elsewhere, 'home', 'kernel.pid'))).toBe(false);

    // The denied write, turned into an allow in the file.
    const denied = lines.findIndex((l) => l.includes('"/etc/passwd"') && l.includes('"deny"'));
    expect(denied).toBeGreaterThan(0);
    const forged = [...lines];
    forged[denied] = (forged[denied] as string).replace('"deny"', '"allow"');
    await writeFile(path.join(elsewhere, 'forged.jsonl'), `${forged.join('\n')}\n`);
    const bad = await t.cli(['audit', 'verify', '--export', path.join(elsewhere, 'forged.jsonl'), '--pubkey', pub], {
      env: outsider,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/export not intact/);

    // The same key signs the next export; --after follows the first one.
    await run('three', [WRITE('/out/c.txt'), EXIT]);
    const next = path.join(elsewhere, 'next.jsonl');
    const ex2 = await t.cli(['audit', 'export', '-o', next, '--after', String(summary.last_id), '--json']);
    expect(ex2.code, ex2.stderr).toBe(0);
    const s2 = JSON.parse(ex2.stdout) as { key: string; first_id: number; rows: number };
    expect(s2).toMatchObject({ key: summary.key, first_id: (summary.last_id as number) + 1 });
    expect(s2.rows).toBeGreaterThan(0);
    expect((await t.cli(['audit', 'verify', '--export', next, '--pubkey', pub], { env: outsider })).code).toBe(0);
    const follows = await t.cli(['audit', 'verify', '--export', next, '--follows', file, '--pubkey', pub], {
      env: outsider,
    });
    expect(follows.code, follows.stderr).toBe(0);
    expect(follows.stdout).toMatch(/carries on from/);
    // The first export does not carry on from the second.
    const back = await t.cli(['audit', 'verify', '--export', file, '--follows', next, '--pubkey', pub], {
      env: outsider,
    });
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/export not intact: the later export starts after record #0/);
  });

  it('flags that do not fit are refused with what to do', async () => {
    const noKey = await t.cli(['audit', 'verify', '--export', '/nonexistent.jsonl']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/--pubkey/);
    const noFile = await t.cli(['audit', 'verify', '--pubkey', '/x.pub']);
    expect(noFile.stderr).toMatch(/--export/);
    const jsonToStdout = await t.cli(['audit', 'export', '--json']);
    expect(jsonToStdout.stderr).toMatch(/--out/);
    const missing = await t.cli(['audit', 'verify', '--export', '/nonexistent.jsonl', '--pubkey', '/x.pub']);
    expect(missing.stderr).toMatch(/cannot read the export/);
  });

  it('a trail edited in the store is not signed', async () => {
    const db = new Database(path.join(t.home, 'aos.db'));
    db.prepare("UPDATE audit SET subject = '/out/innocent.txt' WHERE id = 2").run();
    db.close();
    const ex = await t.cli(['audit', 'export', '--out', path.join(elsewhere, 'never.jsonl')]);
    expect(ex.code).not.toBe(0);
    expect(ex.stderr).toMatch(/broken at record #2/);
    expect(existsSync(path.join(elsewhere, 'never.jsonl'))).toBe(false);
  });
});
