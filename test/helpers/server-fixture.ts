/** A real kernel behind a real KernelServer on a temporary socket, and a raw JSON-lines client. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Kernel } from '../../kernel/kernel.js';
import { KernelServer } from '../../daemon/server.js';
import { ALL_CAPS, type TapeEntry } from './kernel-harness.js';
import type { SafetyPolicy } from '../../kernel/safety/policy-rules.js';

export interface ServerFixture {
  kernel: Kernel;
  server: KernelServer;
  dir: string;
  socket: string;
  paths: { socket: string; kernelLog: string };
  model: string;
  shutdowns: number;
  close(): Promise<void>;
}

export async function startServer(
  agents: Record<string, TapeEntry[]>,
  options: { defaultModel?: string; safety?: SafetyPolicy } = {},
): Promise<ServerFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-server-'));
  const tape = path.join(dir, 'tape.yaml');
  await writeFile(tape, YAML.stringify({ agents }));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ALL_CAPS,
    cwd: dir,
    defaultModel: options.defaultModel,
    safety: options.safety,
  });
  const socket = path.join(dir, 'kernel.sock');
  const fixture = {
    kernel,
    dir,
    socket,
    paths: { socket, kernelLog: path.join(dir, 'kernel.log') },
    model: `replay:${tape}`,
    shutdowns: 0,
  } as ServerFixture;
  fixture.server = await KernelServer.listen(kernel, {
    socket,
    home: dir,
    workspace: path.join(dir, 'ws'),
    onShutdown: () => fixture.shutdowns++,
  });
  fixture.close = async () => {
    await fixture.server.close();
    await kernel.shutdown();
    await rm(dir, { recursive: true, force: true });
  };
  return fixture;
}

/** Speaks the protocol by hand: write lines, read parsed lines in order. */
export interface RawClient {
  socket: net.Socket;
  send(message: unknown): void;
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Read until a line matches. */
  until(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  closed: Promise<void>;
}

export function rawClient(socketPath: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
        buffer = buffer.slice(nl + 1);
      }
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    const next = (timeoutMs = 5000): Promise<Record<string, unknown>> =>
      new Promise((res, rej) => {
        const take = (): void => {
          const line = lines.shift();
          if (line) {
            clearTimeout(timer);
            res(line);
          } else waiters.push(take);
        };
        const timer = setTimeout(() => rej(new Error('no line from the server in time')), timeoutMs);
        take();
      });
    socket.once('connect', () =>
      resolve({
        socket,
        send: (message) => socket.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
        next,
        async until(match, timeoutMs) {
          const seen: Array<Record<string, unknown>> = [];
          for (;;) {
            const line = await next(timeoutMs);
            seen.push(line);
            if (match(line)) return seen;
          }
        },
        closed,
      }),
    );
    socket.once('error', reject);
  });
}
