/** Opens `provider:model` names as drivers through the provider table, once per name. */
import { BoundedMap } from '../../sys/bounded-map.js';
import { AosError } from '../../sys/errno.js';
import { deadlinesOf, type LaneLimits } from '../../sys/model-limits.js';
import { param } from '../../sys/param.js';
import { listProviders, type ProviderListing } from './catalog.js';
import { endpointOf } from './endpoint.js';
import { splitModel } from './model-name.js';
import { providerNamed, providerNames } from './providers.js';
import type { Tape } from './replay-tape.js';
import type { ModelDriver } from './types.js';

export interface ModelRegistryOptions {
  /** AOS_LIMITS: each provider's (or model's) deadlines among them; param's defaults otherwise. */
  limits?: Readonly<Record<string, LaneLimits>>;
  /** Where keys and base URLs come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** How a replay tape is read by absolute path (the kernel confines workspace tapes); a capped host read by default. */
  readTape?: (file: string) => Promise<Tape>;
}

export class ModelRegistry {
  /** Bounded: a kernel that runs for a month with many tapes and models keeps the recent ones only. */
  private readonly drivers = new BoundedMap<string, Promise<ModelDriver>>(param.maxCachedModelDrivers);
  private readonly ready = new BoundedMap<string, ModelDriver>(param.maxCachedModelDrivers);

  constructor(private readonly options: ModelRegistryOptions = {}) {}

  /** The driver of `spec`, made by `load` (or as its provider says) when there is none yet. */
  get(spec: string, load: () => Promise<ModelDriver> = () => this.create(spec)): Promise<ModelDriver> {
    this.dropStale(spec);
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
    this.dropStale(spec);
    return this.drivers.get(spec) ? this.ready.get(spec) : undefined;
  }

  /** A driver whose source changed (a replay tape edited) is forgotten: the next get makes it again. */
  private dropStale(spec: string): void {
    if (!this.ready.get(spec)?.stale?.()) return;
    this.ready.delete(spec);
    this.drivers.delete(spec);
  }

  /** Every provider of the table, with its models and whether this environment sets it up (`aos models`). */
  catalog(): ProviderListing[] {
    return listProviders(this.env());
  }

  private async create(spec: string): Promise<ModelDriver> {
    const { provider, name } = splitModel(spec);
    const entry = providerNamed(provider);
    if (entry === undefined)
      throw new AosError('EINVAL', `unknown model provider "${provider}" in "${spec}" (available: ${providerNames()})`);
    const retired = entry.retired && Object.hasOwn(entry.retired, name) ? entry.retired[name] : undefined;
    if (retired !== undefined) throw new AosError('EINVAL', `model ${spec} is retired: ${retired}`);
    const env = this.env();
    const baseUrl = endpointOf(entry, env);
    const driver = await entry.load();
    return driver.open(name, {
      deadlines: deadlinesOf(this.options.limits ?? {}, spec),
      env,
      baseUrl,
      readTape: this.options.readTape,
    });
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }
}
