/**
 * Fast looks at a test daemon straight over its socket (no CLI start-up per poll), and killing it
 * with SIGKILL. Tests still drive and assert through the real CLI; this only waits for a moment.
 */
import path from 'node:path';
import { KernelClient } from '../../client/client.js';
import { isAlive } from '../../sys/host/pid-file.js';
import type { ProcRow } from '../../protocol/views.js';
import type { TestHome } from './daemon.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `ps` over the socket of a running daemon; never starts one. */
export async function psDirect(home: string, all = false): Promise<ProcRow[]> {
  const client = await KernelClient.connect({
    socket: path.join(home, 'kernel.sock'),
    kernelLog: path.join(home, 'kernel.log'),
  });
  try {
    return await client.request('ps', { all });
  } finally {
    client.close();
  }
}

/** Poll `ps --all` until `ready` holds for the rows; returns them. */
export async function waitForRows(
  home: string,
  ready: (rows: ReadonlyMap<number, ProcRow>) => boolean,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<Map<number, ProcRow>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: ProcRow[] = [];
  for (;;) {
    last = await psDirect(home, true).catch(() => last);
    const rows = new Map(last.map((r) => [r.pid, r]));
    if (ready(rows)) return rows;
    if (Date.now() > deadline) {
      const seen = last.map((r) => `${r.pid}:${r.name}:${r.state}${r.wait ? `(${r.wait})` : ''}`).join(' ');
      throw new Error(`timed out waiting for ${options.what ?? 'processes'}; ps --all: ${seen || '(none)'}`);
    }
    await sleep(50);
  }
}

/** Shorthand predicate: every pid is in one of its wanted states. */
export function inStates(wanted: Record<number, readonly string[]>): (rows: ReadonlyMap<number, ProcRow>) => boolean {
  return (rows) => Object.entries(wanted).every(([pid, states]) => states.includes(rows.get(Number(pid))?.state ?? ''));
}

/** SIGKILL the daemon of this home and wait until the process is gone, its last thread (and so its socket) too; returns its pid. */
export async function sigkillDaemon(t: TestHome): Promise<number> {
  const pid = await t.daemonPid();
  if (pid === null || !isAlive(pid)) throw new Error(`no live daemon in ${t.home} (pid file: ${pid})`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`daemon ${pid} still alive 5 s after SIGKILL`);
    await sleep(20);
  }
  return pid;
}

/** Milliseconds between two ISO timestamps of kernel events. */
export function msBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}
