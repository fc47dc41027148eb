/**
 * Model names: `provider:model`, or a bare name a provider owns by the table's patterns
 * (`gemini-1.5-flash` → `gemini:gemini-1.5-flash`, `llama3.1:8b` → `openai:llama3.1:8b`), as the
 * Go seed wrote them. Resolution is by the table alone: no network, no driver loaded.
 */
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import type { Provider } from './provider.js';
import { PROVIDERS, providerNamed, providerNames } from './providers.js';

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

/** A glob where `*` is any run of characters (`/` and `:` included); case-insensitive, as model names are. */
function matches(pattern: string, name: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** Every provider whose patterns claim a bare name (the table test keeps it to one for known models). */
export function ownersOf(bare: string): Provider[] {
  return PROVIDERS.filter((provider) => provider.patterns.some((pattern) => matches(pattern, bare)));
}

/** The provider that owns a bare name, if any: the first in the table. */
export function ownerOf(bare: string): Provider | undefined {
  return ownersOf(bare)[0];
}

function bareNamesHelp(): string {
  return PROVIDERS.filter((p) => p.patterns.length > 0)
    .map((p) => `${p.name}: ${p.patterns.join(' ')}`)
    .join('; ');
}

/**
 * `provider:model` for any way of naming a model: an explicit known provider stays as it is, a
 * bare name goes to the provider that owns it. AosError EINVAL saying what was wrong and the way out.
 */
export function resolveModel(spec: string): string {
  const colon = spec.indexOf(':');
  const prefix = colon > 0 ? spec.slice(0, colon) : undefined;
  const named = prefix === undefined ? undefined : providerNamed(prefix);
  if (named !== undefined) {
    if (colon === spec.length - 1) {
      throw new AosError('EINVAL', `model "${spec}" names no model: write provider:model, e.g. ${named.example}`);
    }
    return spec;
  }
  const owner = ownerOf(spec);
  if (owner !== undefined) return `${owner.name}:${spec}`;
  if (prefix !== undefined) {
    throw new AosError(
      'EINVAL',
      `unknown model provider "${prefix}" in model "${spec}" (available: ${providerNames()})`,
    );
  }
  const provider = providerNamed(spec);
  if (provider !== undefined) {
    throw new AosError(
      'EINVAL',
      `model "${spec}" names a provider, not a model: write provider:model, e.g. ${provider.example}`,
    );
  }
  throw new AosError(
    'EINVAL',
    `model "${spec}" is not of the form provider:model, and no provider owns it as a bare name (${bareNamesHelp()}). Providers: ${providerNames()}`,
  );
}
