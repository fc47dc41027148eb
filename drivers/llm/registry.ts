/** Resolves `provider:model` names to drivers, once per name. */
import { BoundedMap } from '../../kernel/bounded-map.js';
import path from 'node:path';
import { AosError } from '../../kernel/errno.js';
import { param } from '../../kernel/param.js';
import type { Tape } from './replay-tape.js';
import type { ModelDriver } from './types.js';

export const PROVIDERS = ['gemini', 'openai', 'replay'] as const;


export interface ModelRegistryOptions {
  /** Per call, for network providers. */
  modelTimeoutMs?: number;
  /** Where keys and base URLs come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** How a replay tape is read by absolute path (the kernel confines workspace tapes); a capped host read by default. */
  readTape?: (file: string) => Promise<Tape>;
}

export { describeModelSetup } from './setup.js';

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
  /** Bounded: a kernel that runs for a month with many tapes and models keeps the recent ones only. */
  private readonly drivers = new BoundedMap<string, Promise<ModelDriver>>(param.maxCachedModelDrivers);
  private readonly ready = new BoundedMap<string, ModelDriver>(param.maxCachedModelDrivers);

  constructor(private readonly options: ModelRegistryOptions = {}) {}

  /** The driver of `spec`, made by `load` (or as its provider says) when there is none yet. */
  get(spec: string, load: () => Promise<ModelDriver> = () => this.create(spec)): Promise<ModelDriver> {
    let driver = this.drivers.get(spec);
    if (!driver) {
      driver = load();
      this.drivers.set(spec, driver);
      driver.then(
        (loaded) => this.ready.set(spec, loaded),
        // A failed load is not cached: the user may fix the tape and try again.
        () => this.drivers.delete(spec),
      );
    }
    return driver;
  }

  /** The driver of `spec` if it has already loaded (a spawn on a loaded model needs no await). */
  loaded(spec: string): ModelDriver | undefined {
    return this.drivers.get(spec) ? this.ready.get(spec) : undefined;
  }

  private async create(spec: string): Promise<ModelDriver> {
    const { provider, name } = splitModel(spec);
    switch (provider) {
      // Drivers load on first use: a kernel (or CLI) that never talks to Gemini never loads its SDK.
      case 'replay': {
        const { loadTape, replayTape } = await import('./replay.js');
        const file = path.resolve(name);
        const tape = await (this.options.readTape?.(file) ?? loadTape(file, { maxBytes: param.replayMaxTapeBytes }));
        return replayTape(tape, `replay:${file}`);
      }
      case 'gemini': {
        const { createGeminiDriver } = await import('./gemini.js');
        return createGeminiDriver({ model: name, timeoutMs: this.timeoutMs(), env: this.options.env ?? process.env });
      }
      case 'openai': {
        const { createOpenAIDriver } = await import('./openai.js');
        return createOpenAIDriver({ model: name, timeoutMs: this.timeoutMs(), env: this.options.env ?? process.env });
      }
      default:
        throw new AosError(
          'EINVAL',
          `unknown model provider "${provider}" in "${spec}" (available: ${PROVIDERS.join(', ')})`,
        );
    }
  }

  private timeoutMs(): number {
    return this.options.modelTimeoutMs ?? param.modelTimeoutMs;
  }
}
