/**
 * What kind of server a provider is, which decides where its concurrency limit starts: a hosted
 * API (its real limits are rate budgets: start high), a local server (Ollama, llama.cpp, vLLM on
 * this machine or the LAN: a few parallel slots, start low, learn from latency) or replay (no
 * server at all: unbounded).
 */
import { classifyAddress, parseHostLiteral } from '../../drivers/net/address-guard.js';
import { resolveOpenAIBaseUrl } from '../../drivers/llm/openai.js';

export type ProviderClass = 'hosted' | 'local' | 'unbounded';

/** A loopback, private or link-local address, or a name that only resolves on this network. */
export function isLocalUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  const ip = parseHostLiteral(host);
  return ip !== null && !classifyAddress(ip).allowed;
}

/** The class of `provider` with the base URLs this environment gives its driver. */
export function classifyProvider(provider: string, env: NodeJS.ProcessEnv = process.env): ProviderClass {
  switch (provider) {
    case 'replay':
      return 'unbounded';
    case 'openai': {
      let base: string;
      try {
        base = resolveOpenAIBaseUrl({}, env);
      } catch {
        // The driver will refuse the bad URL with a clear error; the limit does not matter then.
        return 'hosted';
      }
      return isLocalUrl(base) ? 'local' : 'hosted';
    }
    case 'gemini': {
      const base = env.GEMINI_BASE_URL?.trim();
      return base && isLocalUrl(base) ? 'local' : 'hosted';
    }
    default:
      return 'hosted';
  }
}
