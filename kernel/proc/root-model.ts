/**
 * The model of a root process: the caller's, named any way (model-name.ts), else the kernel's
 * default (the daemon's AOS_MODEL, else the policy's default_model), else EINVAL with the set-up
 * help generated from the provider table. Relative tapes resolve against the caller's directory,
 * the default's against the kernel's.
 */
import { normalizeModel, resolveModel } from '../../drivers/llm/model-name.js';
import { describeModelSetup } from '../../drivers/llm/setup.js';
import { AosError } from '../../sys/errno.js';
import { resolveRungs } from '../../drivers/llm/rungs.js';
import { isLadder, ladderModel, rungsOf } from '../../sys/ladder.js';
import type { ModelRegistry } from '../../drivers/llm/registry.js';

export interface ModelDefaults {
  /** As configured; resolved on use, so a bad AOS_MODEL fails a spawn, not the kernel's start. */
  readonly defaultModel?: string;
  readonly cwd: string;
  /** `--model auto`'s rungs (the policy's models.ladder), resolved; none when absent. */
  readonly ladder?: readonly string[] | null;
}

/**
 * A root's model when it asks for a ladder: its own rungs (`--ladder a,b,c`, a unit's `ladder:`),
 * or `auto`, the policy's. Null when it asks for one model.
 */
export function rootLadder(
  k: ModelDefaults,
  requested: string | undefined,
  ladder: readonly string[] | undefined,
  cwd: string,
): string | null {
  if (ladder !== undefined && ladder.length > 0) {
    if (requested !== undefined && requested.trim() !== '' && requested.trim() !== 'auto')
      throw new AosError('EINVAL', 'give a model or a ladder, not both');
    return ladderModel(resolveRungs(ladder, cwd, 'ladder'));
  }
  if (requested?.trim() !== 'auto') return null;
  if (!k.ladder || k.ladder.length === 0)
    throw new AosError(
      'EINVAL',
      'model auto: the policy names no ladder (models: {ladder: [cheapest, …, strongest]}); or give one with --ladder',
    );
  return ladderModel(k.ladder);
}

/** `provider:model` for a root spawn; AosError EINVAL saying what was wrong and whose setting it was. */
export function rootModel(k: ModelDefaults, requested: string | undefined, cwd: string): string {
  const named = requested?.trim();
  if (named) return normalizeModel(resolveModel(named), cwd);
  const fallback = k.defaultModel?.trim();
  if (!fallback) throw new AosError('EINVAL', describeModelSetup());
  try {
    return normalizeModel(resolveModel(fallback), k.cwd);
  } catch (error) {
    if (!(error instanceof AosError)) throw error;
    throw new AosError(
      error.code,
      `the kernel's default model (its AOS_MODEL, or default_model in its policy): ${error.message}`,
    );
  }
}

/** The kernel's default as `provider:model` (as configured when it does not resolve); null when there is none. */
export function defaultModelOf(k: ModelDefaults): string | null {
  if (!k.defaultModel?.trim()) return null;
  try {
    return rootModel(k, undefined, k.cwd);
  } catch {
    return k.defaultModel.trim();
  }
}

/** Open a root's model (every rung of a ladder) as a spawn would, or throw why not (kernel/fork.ts asks first). */
export async function loadRootModel(
  k: ModelDefaults & { readonly models: Pick<ModelRegistry, 'get'> },
  model: string,
  cwd?: string,
): Promise<void> {
  await Promise.all(
    rungsOf(isLadder(model) ? model : rootModel(k, model, cwd ?? k.cwd)).map((rung) => k.models.get(rung)),
  );
}
