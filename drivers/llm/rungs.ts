/** A ladder's rungs as written in a policy, a unit or a spawn, resolved as a root's model is named. */
import { normalizeModel, resolveModel } from './model-name.js';
import { AosError } from '../../sys/errno.js';
import { isLadder } from '../../sys/ladder.js';

/** Rungs as a root's model is named (bare names, tapes relative to `base`): each once, none a ladder. */
export function resolveRungs(rungs: readonly string[], base: string, what: string): string[] {
  const resolved = rungs.map((rung, i) => {
    const name = rung.trim();
    if (name.includes('|') || isLadder(name) || name === 'auto')
      throw new AosError('EINVAL', `${what}[${i}]: "${rung}" is not one model (a rung is a model, not a ladder)`);
    try {
      return normalizeModel(resolveModel(name), base);
    } catch (error) {
      throw new AosError('EINVAL', `${what}[${i}]: ${(error as Error).message}`);
    }
  });
  const twice = resolved.find((model, i) => resolved.indexOf(model) !== i);
  if (twice !== undefined) throw new AosError('EINVAL', `${what}: ${twice} is on it twice`);
  return resolved;
}
