/** A verb's --json, run through the real CLI: it exits 0 and its output fits the schema `aos schema` publishes for it. */
import { expect } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import type { CliResult } from './cli.js';

export async function publishedJson<T>(
  cli: (args: string[]) => Promise<CliResult>,
  args: string[],
  schema: keyof typeof PUBLISHED,
): Promise<T> {
  const run = await cli([...args, '--json']);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  const parsed = PUBLISHED[schema].safeParse(JSON.parse(run.stdout));
  expect(parsed.success, `${schema}: ${parsed.error?.message ?? ''}\n${run.stdout}`).toBe(true);
  return JSON.parse(run.stdout) as T;
}
