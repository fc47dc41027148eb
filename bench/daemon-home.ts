/**
 * A real daemon in a temporary AOS_HOME for the benchmarks that go through the socket and the
 * CLI: the built CLI (the package's bin, dist/cmd/aos.cjs) starts and stops it, a KernelClient
 * talks to it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { KernelClient } from '../client/client.js';
import { packageRoot } from '../sys/host/paths.js';

/** The CLI as users run it: the built `bin`, never the sources through tsx (that measures tsx). */
export function builtCli(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { bin: { aos: string } };
  const cli = path.join(packageRoot(), pkg.bin.aos);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  return cli;
}

export interface BenchHome {
  home: string;
  env: NodeJS.ProcessEnv;
  client: KernelClient;
  /** Write a replay tape (replies per process name); returns the `replay:` model. */
  tape(agents: Record<string, unknown[]>): Promise<string>;
  /** Run the built CLI to the end; throws on a non-zero exit. */
  aos(...args: string[]): string;
  /** Stop the daemon and remove the home. */
  close(): Promise<void>;
}

/** A daemon in a new AOS_HOME (named after `prefix`), or in `options.home` (e.g. a store filled beforehand). */
export async function openBenchHome(
  prefix: string,
  options: { home?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<BenchHome> {
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), `aos-bench-${prefix}-`)));
  const extraEnv = options.env ?? {};
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AOS_HOME: home,
    AOS_WORKSPACE: path.join(home, 'workspace'),
    AOS_POLICY: '',
    NO_COLOR: '1',
    ...extraEnv,
  };
  const cli = builtCli();
  const aos = (...args: string[]): string => {
    const run = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`aos ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    return run.stdout;
  };
  aos('kernel', 'start');
  const client = await KernelClient.connect({
    socket: path.join(home, 'kernel.sock'),
    kernelLog: path.join(home, 'kernel.log'),
  });
  let tapes = 0;
  return {
    home,
    env,
    client,
    aos,
    async tape(agents) {
      const file = path.join(home, `tape${++tapes}.yaml`);
      await writeFile(file, YAML.stringify({ agents }));
      return `replay:${file}`;
    },
    async close() {
      client.close();
      aos('kernel', 'stop');
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The median of some numbers (the middle one; the upper middle for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
