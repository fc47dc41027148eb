/** Where each provider's requests go in an environment, from the table's variables and defaults. */
import { describe, expect, it } from 'vitest';
import { endpointOf, isConfigured } from '../../../drivers/llm/endpoint.js';
import { providerNamed } from '../../../drivers/llm/providers.js';
import type { Provider } from '../../../drivers/llm/provider.js';
import { AosError } from '../../../sys/errno.js';

function provider(name: string): Provider {
  const found = providerNamed(name);
  if (found === undefined) throw new Error(`no provider ${name}`);
  return found;
}

describe('endpointOf', () => {
  it('openai: OPENAI_BASE_URL, else api.openai.com with a key, else local Ollama', () => {
    const openai = provider('openai');
    expect(endpointOf(openai, { OPENAI_BASE_URL: 'http://y:2/v1/' })).toBe('http://y:2/v1');
    expect(endpointOf(openai, { OPENAI_BASE_URL: 'http://y:2/v1', OPENAI_API_KEY: 'sk-x' })).toBe('http://y:2/v1');
    expect(endpointOf(openai, { OPENAI_API_KEY: 'sk-x' })).toBe('https://api.openai.com/v1');
    expect(endpointOf(openai, {})).toBe('http://127.0.0.1:11434/v1');
    // Blank is unset (an `export OPENAI_BASE_URL=` left in a shell).
    expect(endpointOf(openai, { OPENAI_BASE_URL: '  ', OPENAI_API_KEY: '' })).toBe('http://127.0.0.1:11434/v1');
  });

  it('refuses a base URL that is not an http(s) URL, naming the variable', () => {
    const openai = provider('openai');
    expect(() => endpointOf(openai, { OPENAI_BASE_URL: 'localhost:11434' })).toThrow(AosError);
    expect(() => endpointOf(openai, { OPENAI_BASE_URL: 'not a url' })).toThrow(
      /OPENAI_BASE_URL "not a url" is not a URL/,
    );
    expect(() => endpointOf(provider('gemini'), { GEMINI_BASE_URL: 'ftp://x' })).toThrow(
      /GEMINI_BASE_URL "ftp:\/\/x" must be http\(s\)/,
    );
  });

  it('gemini: GEMINI_BASE_URL, else Google; replay has no server', () => {
    expect(endpointOf(provider('gemini'), {})).toBe('https://generativelanguage.googleapis.com');
    expect(endpointOf(provider('gemini'), { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: 'http://127.0.0.1:9/v1beta' })).toBe(
      'http://127.0.0.1:9/v1beta',
    );
    expect(endpointOf(provider('replay'), { OPENAI_BASE_URL: 'http://x' })).toBeNull();
  });
});

describe('isConfigured', () => {
  it('is any of the provider variables set; replay needs none', () => {
    expect(isConfigured(provider('gemini'), {})).toBe(false);
    expect(isConfigured(provider('gemini'), { GOOGLE_API_KEY: 'k' })).toBe(true);
    expect(isConfigured(provider('openai'), { GEMINI_API_KEY: 'k' })).toBe(false);
    expect(isConfigured(provider('openai'), { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' })).toBe(true);
    expect(isConfigured(provider('replay'), {})).toBe(true);
  });
});
