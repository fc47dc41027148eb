/**
 * A program that embeds the kernel exits when its work is done (issue 28.8): a store's worker
 * threads (the WAL checkpointer, the ps --all thread) never keep the process alive, whether the
 * kernel is closed or simply left. Each case runs in a child process of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Run `body` (a module, top-level await) under tsx; resolves with its exit code, or 'hung' past the limit. */
async function runChild(body: string): Promise<number | 'hung'> {
  const file = path.join(dir, 'embed.mts');
  await writeFile(file, body);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hung');
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve(code ?? -1);
    });
  });
}

describe('embedding the kernel', () => {
  it.each([
    [
      'a store left open',
      (d: string) =>
        `const { Store } = await import(${JSON.stringify(path.join(ROOT, 'kernel/store/store.ts'))});\nStore.open(${JSON.stringify(path.join(d, 'aos.db'))});`,
    ],
    [
      'a kernel that ran a process, listed them all and was closed',
      (d: string) => `import { writeFileSync } from 'node:fs';
const { Kernel } = await import(${JSON.stringify(path.join(ROOT, 'kernel/kernel.ts'))});
writeFileSync(${JSON.stringify(path.join(d, 't.yaml'))}, 'agents:\\n  root:\\n    - "[SYS_CALL::SYS_EXIT] {}"\\n');
const k = await Kernel.create({ workspace: ${JSON.stringify(path.join(d, 'ws'))}, rootCapabilities: [], storeFile: ${JSON.stringify(path.join(d, 'aos.db'))}, cwd: ${JSON.stringify(d)} });
const pcb = await k.spawn({ task: 't', model: 'replay:' + ${JSON.stringify(path.join(d, 't.yaml'))} });
await k.waitExit(pcb.pid);
await k.psAll.json(Date.now());
await k.close();`,
    ],
    [
      // Large enough for the ps --all thread: while it lists, it keeps the program waiting for it alive.
      'a kernel that listed a store too large to list inline, on the ps --all thread',
      (d: string) => `import { writeFileSync } from 'node:fs';
const { default: Database } = await import(${JSON.stringify(path.join(ROOT, 'node_modules/better-sqlite3/lib/index.js'))});
const { Kernel } = await import(${JSON.stringify(path.join(ROOT, 'kernel/kernel.ts'))});
const { param } = await import(${JSON.stringify(path.join(ROOT, 'sys/param.ts'))});
const options = { workspace: ${JSON.stringify(path.join(d, 'ws'))}, rootCapabilities: [], storeFile: ${JSON.stringify(path.join(d, 'aos.db'))}, cwd: ${JSON.stringify(d)} };
writeFileSync(${JSON.stringify(path.join(d, 't.yaml'))}, 'agents:\\n  root:\\n    - "[SYS_CALL::SYS_EXIT] {}"\\n');
let k = await Kernel.create(options);
await k.waitExit((await k.spawn({ task: 't', model: 'replay:' + ${JSON.stringify(path.join(d, 't.yaml'))} })).pid);
await k.close();
const n = param.psWorkerMinRows + 500;
const db = new Database(options.storeFile);
const row = db.prepare('SELECT * FROM processes WHERE pid = 1').get();
const insert = db.prepare('INSERT INTO processes (' + Object.keys(row).join(', ') + ') VALUES (' + Object.keys(row).map((c) => '@' + c).join(', ') + ')');
db.transaction(() => { for (let pid = 2; pid <= n; pid++) insert.run({ ...row, pid }); db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_pid', ?)").run(String(n + 1)); })();
db.close();
k = await Kernel.create(options);
const listing = await k.psAll.json(Date.now());
if (!k.psAll.threaded || JSON.parse(listing.bytes.toString()).length !== n) process.exit(3);
await k.close();`,
    ],
  ])(
    'exits after %s',
    async (_what, body) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'aos-embed-'));
      expect(await runChild(body(dir))).toBe(0);
    },
    30_000,
  );
});
