/** Where a provider's requests go, and whether it is set up, in a given environment (read from the table). */
import { AosError } from '../../sys/errno.js';
import type { Provider } from './provider.js';

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * The first base URL variable set, else the keyed default when a key is set, else the default;
 * null for a provider with no server. AosError EINVAL naming the variable for a URL that is not http(s).
 */
export function endpointOf(provider: Provider, env: NodeJS.ProcessEnv): string | null {
  const variable = provider.env.baseUrls.find((name) => nonEmpty(env[name]) !== undefined);
  const keyed = provider.env.keys.some((name) => nonEmpty(env[name]) !== undefined);
  const chosen =
    variable === undefined
      ? ((keyed ? provider.defaults.keyedBaseUrl : undefined) ?? provider.defaults.baseUrl)
      : nonEmpty(env[variable]);
  if (chosen === undefined) return null;
  const example = provider.defaults.baseUrl ?? 'http://127.0.0.1:8000/v1';
  const label = variable ?? `${provider.name}'s default base URL`;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new AosError('EINVAL', `${label} "${chosen}" is not a URL (e.g. ${example})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AosError('EINVAL', `${label} "${chosen}" must be http(s) (e.g. ${example})`);
  return chosen.replace(/\/+$/, '');
}

/** Whether any of its variables is set (a provider with none, like replay, always is). */
export function isConfigured(provider: Provider, env: NodeJS.ProcessEnv): boolean {
  const names = [...provider.env.keys, ...provider.env.baseUrls];
  return names.length === 0 || names.some((name) => nonEmpty(env[name]) !== undefined);
}
