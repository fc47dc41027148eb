/** `.env` in the working directory, loaded by the CLI and the daemon; the real environment always wins. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** Set each variable of `<dir>/.env` that the environment lacks; returns the names it set. */
export function loadDotEnv(dir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.env'), 'utf8');
  } catch {
    return [];
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
