/**
 * Issue 9, item 12: a damaged or emptied store is refused at start with a message that names the
 * file and what to do (restore the backup kept beside it), and a new store is said to be new.
 */
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { param } from '../../sys/param.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';

let t: FaultHome | null = null;
afterEach(async () => {
  await t?.dispose();
  t = null;
});

/** A home whose store holds one finished process, stopped cleanly (which keeps a backup). */
async function homeWithHistory(): Promise<FaultHome> {
  const home = await makeFaultHome();
  const model = await home.tape({ root: [call('SYS_EXIT', { code: 0, result: 'kept' })] });
  const run = await home.cli(['spawn', 'remember me', '--model', model]);
  expect(run.code, run.stderr).toBe(0);
  const stop = await home.cli(['kernel', 'stop']);
  expect(stop.code, stop.stderr).toBe(0);
  return home;
}

async function smash(file: string): Promise<void> {
  const { size } = await stat(file);
  const handle = await open(file, 'r+');
  try {
    // Every page after the first (the header and schema stay readable, the tables do not).
    await handle.write(Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
  } finally {
    await handle.close();
  }
}

describe('a damaged store', () => {
  it('is refused with the file named and the backup to restore; restoring it brings the history back', async () => {
    t = await homeWithHistory();
    const db = path.join(t.home, 'aos.db');
    expect((await stat(`${db}.backup`)).size).toBeGreaterThan(0);
    await smash(db);
    const start = await t.cli(['kernel', 'start']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`the kernel store ${db} is damaged`);
    expect(start.stderr).toContain(`mv "${db}" "${db}.damaged" && cp "${db}.backup" "${db}"`);
    const ps = await t.cli(['ps', '--all']);
    expect(ps.code).toBe(2);

    await import('node:fs/promises').then(async (fs) => {
      await fs.rename(db, `${db}.damaged`);
      await fs.copyFile(`${db}.backup`, db);
    });
    const restored = await t.cli(['ps', '--all', '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toEqual([expect.objectContaining({ pid: 1, state: 'exited', exit_code: 0 })]);
  }, 120_000);

  it('refuses an emptied store that had a history (a backup exists)', async () => {
    t = await homeWithHistory();
    const db = path.join(t.home, 'aos.db');
    await truncate(db, 0);
    const start = await t.cli(['kernel', 'start']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`the kernel store ${db} is empty (0 bytes) but the kernel has run here before`);
    expect(start.stderr).toContain(`cp "${db}.backup" "${db}"`);
  }, 120_000);

  it('says in the log when it starts a new store, also when the default webhook port is taken', async () => {
    // Taken here, or already by another daemon: either way the kernel starts on a free port. It used to
    // start the kernel a second time for that, and the second open no longer saw a new store.
    const holder = await holdPort(param.webhookPort);
    try {
      // The default port (the tests' daemons are given AOS_WEBHOOK_PORT=0: vitest.config.ts).
      t = await makeFaultHome({ AOS_WEBHOOK_PORT: '' });
      await t.start();
      const log = await readFile(path.join(t.home, 'kernel.log'), 'utf8');
      expect(log).toContain(`created a new kernel store at ${path.join(t.home, 'aos.db')}`);
      expect(log).toContain('using a free port instead');
    } finally {
      holder?.close();
    }
  }, 120_000);
});

/** Listen on `port` (null when something else already does). */
function holdPort(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
