/** A whole kernel as a node of a cluster, for the tests that adopt trees between nodes (apart from pg-fixture: those that need no kernel do not load it). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { Kernel, type KernelOptions } from '../../../kernel/kernel.js';
import { ALL_CAPS } from '../../helpers/kernel-harness.js';

/** What the nodes made by kernelNode logged, in order, each line naming its node: for a failing test to print. */
export const nodeLog: string[] = [];

/**
 * A whole kernel as a node of the cluster at `url`, its workspace under `dir`: shared with the other
 * nodes (so it may adopt their trees), or its own (`shared` false). Shut down by `closers`; what it
 * logs goes to `nodeLog`. `extra`: more options (a gateway, a public webhook URL).
 */
export async function kernelNode(
  name: string,
  url: string,
  dir: string,
  closers: Array<() => Promise<void>>,
  shared = true,
  extra: Partial<KernelOptions> = {},
): Promise<Kernel> {
  const workspace = path.join(dir, shared ? 'ws' : `ws-${name}`);
  const log = (level: string, message: string): void =>
    void nodeLog.push(`${new Date().toISOString()} ${name} ${level} ${message}`);
  const kernel = await Kernel.create({
    workspace,
    rootCapabilities: ALL_CAPS,
    cwd: dir,
    log,
    ...extra,
    cluster: { url, node: name, workspace: { path: workspace, shared } },
  });
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

/** A fresh database on `server` and a directory for the nodes' workspaces (removed by `closers`); `tape` writes a replay tape there and gives its path. */
export async function clusterScratch(
  server: { createDatabase(): Promise<string> },
  closers: Array<() => Promise<void>>,
  prefix: string,
): Promise<{ url: string; dir: string; tape(agents: Record<string, unknown[]>): Promise<string> }> {
  const url = await server.createDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), `aos-${prefix}-`));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const tape = async (agents: Record<string, unknown[]>): Promise<string> => {
    const file = path.join(dir, 'tape.yaml');
    await writeFile(file, YAML.stringify({ agents }));
    return file;
  };
  return { url, dir, tape };
}

/** Closers run in reverse after each test (afterEach): each file's kernels, clients and directories. */
export async function runClosers(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
}

/** Mark node `name` dead in the cluster's table, as a fence leaves it (the nodes adopt its trees). */
export async function declareDead(
  db: { query(sql: string, params: unknown[]): Promise<unknown> },
  name: string,
): Promise<void> {
  await db.query("UPDATE aos_nodes SET state = 'dead', fenced_ms = 0, fenced_by = 'test' WHERE name = $1", [name]);
}

/** Node `kernel` dies, its processes left as they were (close, not shutdown: that ends them), and is declared dead. */
export async function dies(kernel: Kernel, url: string): Promise<void> {
  const name = kernel.cluster?.member.name;
  if (!name) throw new Error('not a node of a cluster');
  kernel.cluster?.member.stop();
  await kernel.close();
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  try {
    await declareDead(sql, name);
  } finally {
    await sql.end();
  }
}
