/**
 * Issue 9, item 10: clients that never read. One pipelines requests and reads no answer; another
 * subscribes to every event and reads none. The daemon's memory stays bounded, other clients keep
 * being answered, and the subscriber that falls too far behind is dropped with a logged reason.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { psDirect } from '../helpers/kernel-probe.js';
import { until } from '../helpers/until.js';
import { call, type FaultHome, makeFaultHome } from './fault-home.js';

let t: FaultHome | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await t?.dispose();
  t = null;
});

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

function rawClient(home: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path.join(home, 'kernel.sock'));
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('clients that never read', () => {
  it('keep the daemon bounded while they pipeline requests, and others are still answered', async () => {
    t = await makeFaultHome();
    // 60 ended processes make each `ps --all` answer ~20 KB: unread, 100,000 of them would be 2 GB.
    const model = await t.tape({ root: [call('SYS_EXIT', { code: 0 })] });
    const client = await t.connect();
    for (let i = 0; i < 60; i++) await client.request('spawn', { task: 't', model });
    client.close();
    const daemon = (await t.daemonPid()) as number;
    const before = await rssOf(daemon);
    const socket = await rawClient(t.home);
    socket.pause();
    // 100,000 `ps --all` requests, none of whose answers is ever read.
    const line = '{"id":1,"method":"ps","params":{"all":true}}\n';
    let written = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (written < 100_000) {
          written++;
          if (!socket.write(line)) {
            // Go on when the daemon has read what we sent; when it stops reading us, give up after 3 s.
            const giveUp = setTimeout(resolve, 3000);
            socket.once('drain', () => {
              clearTimeout(giveUp);
              pump();
            });
            return;
          }
        }
        resolve();
      };
      pump();
    });
    expect((await psDirect(t.home, true)).length).toBe(60);
    expect(await rssOf(daemon)).toBeLessThan(before + 150 * 1024 * 1024);
  }, 60_000);

  it('drop a subscriber that falls more than the backlog limit behind, with a reason in the log', async () => {
    t = await makeFaultHome();
    await t.start();
    const socket = await rawClient(t.home);
    socket.write('{"id":1,"method":"subscribe","params":{"topics":["events"]}}\n');
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Each turn reads 1 MiB (a 1 MiB result event); reads differ by offset, so they are not a loop.
    await mkdir(t.env.AOS_WORKSPACE ?? '', { recursive: true });
    await writeFile(path.join(t.env.AOS_WORKSPACE ?? '', 'big.txt'), 'z'.repeat(2 * 1024 * 1024));
    const model = await t.tape({
      root: Array.from({ length: 90 }, (_, i) => call('FS_READ', { path: 'big.txt', offset: i })),
    });
    const spawn = await t.cli(['spawn', 'loud', '--model', model, '--detach']);
    expect(spawn.code, spawn.stderr).toBe(0);
    const log = path.join(t.home, 'kernel.log');
    await until(
      async () => (await readFile(log, 'utf8')).includes('disconnecting a client that stopped reading'),
      60_000,
      'the drop in the log',
    );
    socket.resume();
    await closed;
    expect((await psDirect(t.home, true)).length).toBe(1);
  }, 90_000);
});
