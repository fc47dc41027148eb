/** Benchmarks print one JSON object and keep a copy under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

export function report(name: string, result: Record<string, unknown>): void {
  const payload = { bench: name, at: new Date().toISOString(), node: process.version, ...result };
  const json = JSON.stringify(payload, null, 2);
  process.stdout.write(`${json}\n`);
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${json}\n`);
}
