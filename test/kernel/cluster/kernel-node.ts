/** A whole kernel as a node of a cluster, for the tests that adopt trees between nodes (apart from pg-fixture: those that need no kernel do not load it). */
import path from 'node:path';
import { Kernel } from '../../../kernel/kernel.js';
import { ALL_CAPS } from '../../helpers/kernel-harness.js';

/**
 * A whole kernel as a node of the cluster at `url`, its workspace under `dir`: shared with the other
 * nodes (so it may adopt their trees), or its own (`shared` false). Shut down by `closers`.
 */
export async function kernelNode(name: string, url: string, dir: string, closers: Array<() => Promise<void>>, shared = true): Promise<Kernel> {
  const workspace = path.join(dir, shared ? 'ws' : `ws-${name}`);
  const kernel = await Kernel.create({ workspace, rootCapabilities: ALL_CAPS, cwd: dir, cluster: { url, node: name, workspace: { path: workspace, shared } } });
  closers.push(() => kernel.shutdown());
  return kernel;
}
