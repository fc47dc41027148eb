/**
 * Benchmarks print one JSON object and keep a copy under bench/results/. Each headline number is a
 * `figure` with its unit and target, so `npm run bench -- --json` can say pass or fail for each,
 * and the README's performance table and charts are made from these files, never typed by hand.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** `--quick`: the smaller workload a benchmark runs under `npm run bench -- --quick`. */
export const quick = process.argv.includes('--quick');

export interface Target {
  /** The figure passes when it is at most this. */
  max?: number;
  /** The figure passes when it is at least this. */
  min?: number;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target: Target | null;
  pass: boolean | null;
  /** What the figure measures, for the README table. */
  what: string;
}

export function figure(name: string, value: number, unit: string, what: string, target: Target | null = null): Figure {
  const pass =
    target === null
      ? null
      : (target.max === undefined || value <= target.max) && (target.min === undefined || value >= target.min);
  return { name, value: Number(value.toFixed(4)), unit, target, pass, what };
}

/** Which machine the figures come from (the README names it beside every table). */
export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** The checkout (where package.json is), whether the benchmark runs from source or from dist/. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export function report(name: string, result: Record<string, unknown>, figures: Figure[] = []): void {
  const payload = {
    bench: name,
    at: new Date().toISOString(),
    node: process.version,
    machine: machine(),
    quick,
    ...result,
    figures,
  };
  const json = JSON.stringify(payload, null, 2);
  process.stdout.write(`${json}\n`);
  const dir = path.join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${json}\n`);
}
