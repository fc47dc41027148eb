/** A whole kernel as a node of a cluster, for the tests that adopt trees between nodes (apart from pg-fixture: those that need no kernel do not load it). */
import path from 'node:path';
import { Kernel, type KernelOptions } from '../../../kernel/kernel.js';
import { ALL_CAPS } from '../../helpers/kernel-harness.js';

/** What the nodes made by kernelNode logged, in order, each line naming its node: for a failing test to print. */
export const nodeLog: string[] = [];

/**
 * A whole kernel as a node of the cluster at `url`, its workspace under `dir`: shared with the other
 * nodes (so it may adopt their trees), or its own (`shared` false). Shut down by `closers`; what it
 * logs goes to `nodeLog`. `extra`: more options (a gateway, a public webhook URL).
 */
export async function kernelNode(name: string, url: string, dir: string, closers: Array<() => Promise<void>>, shared = true, extra: Partial<KernelOptions> = {}): Promise<Kernel> {
  const workspace = path.join(dir, shared ? 'ws' : `ws-${name}`);
  const log = (level: string, message: string): void => void nodeLog.push(`${new Date().toISOString()} ${name} ${level} ${message}`);
  const kernel = await Kernel.create({ workspace, rootCapabilities: ALL_CAPS, cwd: dir, log, ...extra, cluster: { url, node: name, workspace: { path: workspace, shared } } });
  closers.push(() => kernel.shutdown());
  return kernel;
}

/** `wait`, and when it fails, its error with what the nodes have logged. */
export async function withNodeLog<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    throw new Error(`${(error as Error).message}\nthe nodes logged:\n${nodeLog.join('\n') || '(nothing)'}`);
  }
}
