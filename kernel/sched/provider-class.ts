/**
 * What kind of server a provider is, which decides where its concurrency limit starts: a hosted
 * API (its real limits are rate budgets: start high), a local server (Ollama, llama.cpp, vLLM on
 * this machine or the LAN: a few parallel slots, start low, learn from latency) or replay (no
 * server at all: unbounded).
 */
import { classifyAddress, parseHostLiteral } from '../../drivers/net/address-guard.js';
import { endpointOf } from '../../drivers/llm/endpoint.js';
import { providerNamed } from '../../drivers/llm/providers.js';

export type ProviderClass = 'hosted' | 'local' | 'unbounded';

/** A loopback, private or link-local address, or a name that only resolves on this network. */
export function isLocalUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
    return true;
  const ip = parseHostLiteral(host);
  return ip !== null && !classifyAddress(ip).allowed;
}

/** The class of `provider` with the base URL this environment gives its driver (the provider table's endpoint). */
export function classifyProvider(provider: string, env: NodeJS.ProcessEnv = process.env): ProviderClass {
  const entry = providerNamed(provider);
  if (entry === undefined) return 'hosted';
  let base: string | null;
  try {
    base = endpointOf(entry, env);
  } catch {
    // The driver will refuse the bad URL with a clear error; the limit does not matter then.
    return 'hosted';
  }
  if (base === null) return 'unbounded';
  return isLocalUrl(base) ? 'local' : 'hosted';
}
