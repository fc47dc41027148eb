/**
 * Handlers of `policy_try` and `policy_apply` (protocol/policy-try-protocol.ts); spread into
 * methods.ts's table with one line. A candidate tried here is remembered by its sha256 (the last
 * param.policyTryChecksKept, for this daemon's life): `policy_apply` puts in force only a text
 * checked so — written atomically over the policy file, then reloaded by the policy's watcher
 * (daemon/policy-watch.ts), which applies it the way it applies an edit saved by hand: validated, audited, logged.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { readCandidate, sha256, tryPolicy } from '../policy-try.js';

type Method = 'policy_try' | 'policy_apply';
type Handlers = {
  [M in Method]: (params: ParsedParamsOf<M>, ctx: { kernel: KernelApi }) => ResultOf<M> | Promise<ResultOf<M>>;
};
type Counts = ResultOf<'policy_try'>['counts'];

/** Per kernel, the candidates checked on past runs, by sha256 of their text, with their counts (oldest dropped first). */
const checkedBy = new WeakMap<KernelApi, Map<string, Counts>>();

function checkedOf(kernel: KernelApi): Map<string, Counts> {
  let checked = checkedBy.get(kernel);
  if (!checked) checkedBy.set(kernel, (checked = new Map()));
  return checked;
}

function remember(kernel: KernelApi, hash: string, counts: Counts): void {
  const checked = checkedOf(kernel);
  checked.delete(hash);
  checked.set(hash, counts);
  while (checked.size > param.policyTryChecksKept) checked.delete(checked.keys().next().value as string);
}

/** How long apply waits for the watcher to reload the file it wrote (it reads a save after a short settle). */
const RELOAD_WAIT_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The file in force's text, or null when it cannot be read (then it changes). */
async function textOf(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** Write `text` over `file` atomically: a new file beside it renamed into place, the old one's mode kept. */
async function replaceFile(file: string, text: string): Promise<void> {
  let mode = 0o600;
  try {
    const stats = await lstat(file);
    if (stats.isSymbolicLink())
      throw new AosError(
        'EINVAL',
        `the policy ${file} is a symbolic link: edit the file it names, or point AOS_POLICY at it`,
      );
    mode = stats.mode & 0o777;
  } catch (error) {
    if (error instanceof AosError) throw error;
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.aos-apply-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(temp, text, { mode, flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new AosError('EIO', `cannot write the policy ${file}: ${(error as Error).message}`);
  }
}

async function apply(kernel: KernelApi, params: ParsedParamsOf<'policy_apply'>): Promise<ResultOf<'policy_apply'>> {
  const file = kernel.safety.policy.file;
  if (file === null)
    throw new AosError('EINVAL', 'this kernel runs without a policy file: there is nothing to apply to');
  const hash = sha256(params.text);
  const counts = checkedOf(kernel).get(hash) ?? null;
  if (counts === null && params.force !== true) {
    const named = params.file ?? 'the file';
    throw new AosError(
      'EPERM',
      `${named} was not checked on past runs as it is now (changed since, or never checked by this kernel): run "aos policy check ${params.file ?? 'FILE'} --against PIDS|TAPES" first, or apply --force`,
    );
  }
  // Valid as the policy file it becomes (its relative paths are the policy directory's).
  readCandidate(params.text, file);
  const before = { loadedAt: kernel.policyLoadedAt, error: kernel.policyError };
  const changed = (await textOf(file)) !== params.text;
  if (changed) await replaceFile(file, params.text);
  let reloaded = !changed;
  for (let waited = 0; changed && waited < RELOAD_WAIT_MS; waited += 50) {
    if (kernel.policyLoadedAt !== before.loadedAt) {
      reloaded = true;
      break;
    }
    if (kernel.policyError !== null && kernel.policyError !== before.error) break;
    await sleep(50);
  }
  const error = reloaded
    ? null
    : (kernel.policyError ??
      `the kernel has not reloaded ${file} after ${RELOAD_WAIT_MS / 1000}s (is its directory watched?): "aos kernel restart" applies it`);
  return {
    file,
    sha256: hash,
    counts,
    changed,
    reloaded,
    loaded_at: new Date(kernel.policyLoadedAt).toISOString(),
    error,
  };
}

export const policyTryHandlers: Handlers = {
  policy_try: async (params, { kernel }) => {
    const file = params.file ?? kernel.safety.policy.file ?? '(candidate policy)';
    const candidate = readCandidate(params.text, file);
    const result = await tryPolicy(kernel, params, file, candidate);
    remember(kernel, result.sha256, result.counts);
    return result;
  },
  policy_apply: (params, { kernel }) => apply(kernel, params),
};
