/** A daemon in a temp AOS_HOME driven straight over its socket (fast), killed and restarted at will. */
import path from 'node:path';
import { KernelClient } from '../../client/client.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { sigkillDaemon } from '../helpers/kernel-probe.js';

export interface FaultHome extends TestHome {
  /** A raw client on the daemon's socket (starts the daemon first through the CLI). */
  connect(): Promise<KernelClient>;
  start(): Promise<void>;
  sigkill(): Promise<void>;
}

export const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

export async function makeFaultHome(env: NodeJS.ProcessEnv = {}, home?: string): Promise<FaultHome> {
  const t = await makeHome(home);
  Object.assign(t.env, env);
  const paths = { socket: path.join(t.home, 'kernel.sock'), kernelLog: path.join(t.home, 'kernel.log') };
  const start = async (): Promise<void> => {
    const run = await t.cli(['kernel', 'start'], { timeoutMs: 30_000 });
    if (run.code !== 0) throw new Error(`kernel start failed (${run.code}): ${run.stderr}`);
  };
  return {
    ...t,
    start,
    async connect() {
      await start();
      return KernelClient.connect(paths);
    },
    async sigkill() {
      await sigkillDaemon(t);
    },
  };
}
