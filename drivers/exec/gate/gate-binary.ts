/**
 * Where the compiled exec gate is: build/aos-exec-gate beside aos's package.json, made by
 * scripts/build-gate.mjs at install and build. A missing gate is not an error here: the caller
 * refuses what needs it, with the command that builds it.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../../sys/host/paths.js';

let found: Promise<string | null> | undefined;

/** The gate binary, or null when it was not built. `AOS_EXEC_GATE` names another (or `none`: tests). */
export function findGate(): Promise<string | null> {
  found ??= locate(process.env.AOS_EXEC_GATE ?? '');
  return found;
}

async function locate(override: string): Promise<string | null> {
  if (override === 'none') return null;
  const file = override !== '' ? path.resolve(override) : path.join(packageRoot(), 'build', 'aos-exec-gate');
  try {
    await access(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}

/** Tests that change AOS_EXEC_GATE look again. */
export function forgetGate(): void {
  found = undefined;
}
