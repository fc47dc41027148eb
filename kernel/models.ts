/** Resolves `provider:model` names to drivers, once per name. */
import path from 'node:path';
import { AosError } from '../drivers/errno.js';
import { createReplayDriver } from '../drivers/llm/replay.js';
import type { ModelDriver } from '../drivers/llm/types.js';

export const PROVIDERS = ['replay'] as const;

export function splitModel(spec: string): { provider: string; name: string } {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new AosError('EINVAL', `model "${spec}" is not of the form provider:model (e.g. replay:tape.yaml)`);
  }
  return { provider: spec.slice(0, colon), name: spec.slice(colon + 1) };
}

/** Make a model name independent of the caller's directory (replay paths become absolute). */
export function normalizeModel(spec: string, cwd: string): string {
  const { provider, name } = splitModel(spec);
  return provider === 'replay' ? `replay:${path.resolve(cwd, name)}` : spec;
}

export class ModelRegistry {
  private readonly drivers = new Map<string, Promise<ModelDriver>>();

  get(spec: string): Promise<ModelDriver> {
    let driver = this.drivers.get(spec);
    if (!driver) {
      driver = this.create(spec);
      this.drivers.set(spec, driver);
      // A failed load is not cached: the user may fix the tape and try again.
      driver.catch(() => this.drivers.delete(spec));
    }
    return driver;
  }

  private async create(spec: string): Promise<ModelDriver> {
    const { provider, name } = splitModel(spec);
    switch (provider) {
      case 'replay':
        return createReplayDriver(name);
      default:
        throw new AosError(
          'EINVAL',
          `unknown model provider "${provider}" in "${spec}" (available: ${PROVIDERS.join(', ')})`,
        );
    }
  }
}
