/**
 * `aos kill` waits to see the process reaped (so that a following `ps` shows it ended): its watch
 * of the process's log stream goes out right behind the kill, not a round trip later.
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runKill } from '../../cmd/kill.js';
import { aosPaths } from '../../kernel/paths.js';
import { PROTOCOL_VERSION } from '../../kernel/wire/protocol-results.js';
import { settingsOf } from '../../kernel/wire/settings.js';

let dir = '';
let server: net.Server | null = null;
const saved = { home: process.env.AOS_HOME, autostart: process.env.AOS_NO_AUTOSTART };
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-kill-'));
  process.env.AOS_HOME = dir;
  process.env.AOS_NO_AUTOSTART = '1';
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
  for (const [key, value] of [['AOS_HOME', saved.home], ['AOS_NO_AUTOSTART', saved.autostart]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(dir, { recursive: true, force: true });
});

interface Request {
  id: number;
  method: string;
  params: { pid?: number };
}

/**
 * A kernel that answers `kill` only after a while (as one that waits for its commit), and ends a
 * logs stream at once (the process is reaped). `seen` lists the methods in the order they came,
 * with "answer kill" where the kill's answer went out.
 */
async function fakeKernel(killAnswerMs: number): Promise<string[]> {
  const seen: string[] = [];
  server = net.createServer((socket) => {
    const send = (message: object): void => void socket.write(`${JSON.stringify(message)}\n`);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const request of lines.map((line) => JSON.parse(line) as Request)) {
        seen.push(request.method);
        if (request.method === 'ping') {
          const paths = aosPaths();
          send({ id: request.id, ok: true, result: { pid: 1, version: '0', protocol: PROTOCOL_VERSION, uptime_s: 1, home: paths.home, socket: paths.socket, workspace: paths.workspace, settings: settingsOf(process.env) } });
        } else if (request.method === 'kill') {
          setTimeout(() => {
            seen.push('answer kill');
            send({ id: request.id, ok: true, result: { killed: [request.params.pid] } });
          }, killAnswerMs);
        } else if (request.method === 'logs') {
          send({ id: request.id, ok: true, result: { sub: 1, procs: [], events: [] } });
          send({ event: 'end', sub: 1, payload: { pid: request.params.pid, code: 137, reason: 'killed', state: 'killed' } });
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server?.listen(aosPaths().socket, resolve));
  return seen;
}

describe('aos kill', () => {
  it('sends its watch for the reaping behind the kill, before the kill is answered', async () => {
    const seen = await fakeKernel(150);
    const written: string[] = [];
    vi.spyOn(fs, 'writeSync').mockImplementation((_fd, data) => {
      written.push(Buffer.from(data as Uint8Array).toString());
      return (data as Uint8Array).length;
    });
    expect(await runKill('7', { tree: true })).toBe(0);
    expect(seen).toEqual(['ping', 'kill', 'logs', 'answer kill']);
    expect(written.join('')).toBe('killed 7\n');
  });
});
