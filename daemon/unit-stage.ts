/**
 * A unit package staged off the kernel's thread (issue 47.1). A 2 MB archive once inflated 2 GiB
 * on the daemon's thread and froze every agent and verb for minutes: now a child process, the
 * package reader (unit-stage-main.ts), reads it under every limit (unit-package.ts) and answers
 * with one line of JSON, while the kernel only waits for it — its thread, heap and RSS never hold
 * the archive. The reader gets no environment and a small heap, and is SIGKILLed past
 * param.unitPackageMaxMs; what it left in the staging directory is removed once it has ended. It
 * keeps the daemon's priority: at nice 10 on a busy machine it got so little CPU that a 94 KB
 * package ran into the time limit, and the kernel's thread loses nothing to it on a second core.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AosError, isErrno } from '../sys/errno.js';
import { packageLimits, type PackageLimits, type StagedFile } from './unit-package-budget.js';
import { type PackageManifest, type StagedPackage, UNIT_MANIFEST } from './unit-package.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The reader's answer: one line, its files' paths and sizes (bounded by the package's limits). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * node's arguments that run the reader: the built program; from source (a checkout's tests), the
 * tests' bundle of it (test/global-setup.ts names it: ~0.15 s of CPU a start) or its source through tsx.
 */
function readerArgs(limits: PackageLimits): string[] {
  const heap = `--max-old-space-size=${limits.unitPackageReaderHeapMb}`;
  if (!import.meta.url.endsWith('.ts')) return [heap, path.join(HERE, 'unit-stage-main.js')];
  const bundled = process.env.AOS_TEST_UNIT_READER;
  if (bundled) return [heap, bundled];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [heap, '--import', tsx, path.join(HERE, 'unit-stage-main.ts')];
}

const seconds = (ms: number): string => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

/** What the reader answered, checked: a package staged under `stage`, or its refusal. */
function answerOf(line: string, stage: string): StagedPackage | AosError | null {
  let answer: unknown;
  try {
    answer = JSON.parse(line);
  } catch {
    return null;
  }
  const a = answer as { ok?: unknown; code?: unknown; message?: unknown; root?: unknown; files?: unknown };
  if (a.ok === false) return new AosError(isErrno(a.code) ? a.code : 'EIO', String(a.message));
  const inStage = typeof a.root === 'string' && (a.root === stage || path.dirname(a.root) === stage);
  const files =
    Array.isArray(a.files) &&
    a.files.every((f: StagedFile) => typeof f?.path === 'string' && typeof f.bytes === 'number')
      ? (a.files as StagedFile[])
      : null;
  return a.ok === true && inStage && files ? { root: a.root as string, files } : null;
}

/** Read the package at `source` into `stage` in the reader; the staged package, or the reader's refusal (the stage then removed). */
export async function stageOffThread(
  source: string,
  stage: string,
  limits: PackageLimits = packageLimits(),
  kind: PackageManifest = UNIT_MANIFEST,
): Promise<StagedPackage> {
  const child = spawn(process.execPath, [...readerArgs(limits), JSON.stringify({ source, stage, limits, kind })], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {},
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (out.length < MAX_ANSWER_BYTES) out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => (err = `${err}${chunk.toString()}`.slice(-2_000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limits.unitPackageMaxMs);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  const answer = timedOut ? null : answerOf(out.trim().split('\n').pop() ?? '', stage);
  if (answer !== null && !(answer instanceof AosError)) return answer;
  await rm(stage, { recursive: true, force: true });
  if (answer instanceof AosError) throw answer;
  if (timedOut)
    throw new AosError(
      'ETIMEDOUT',
      `${source}: reading it took more than ${seconds(limits.unitPackageMaxMs)} (param.unitPackageMaxMs); the package reader was stopped`,
    );
  const how = ended.error
    ? `could not start: ${ended.error.message}`
    : `ended (${ended.signal ?? `exit ${ended.code}`}) without an answer`;
  throw new AosError(
    'EIO',
    `${source}: the package reader ${how}${err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' ')}` : ''}`,
  );
}
