/** Model names as people write them: `provider:model`, or a bare name resolved by the table's patterns (the Go seed's dialect). */
import { describe, expect, it } from 'vitest';
import { normalizeModel, resolveModel, splitModel } from '../../../drivers/llm/model-name.js';
import { AosError } from '../../../sys/errno.js';

function einval(spec: string): AosError {
  try {
    resolveModel(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(AosError);
    expect((error as AosError).code).toBe('EINVAL');
    return error as AosError;
  }
  throw new Error(`resolveModel("${spec}") did not throw`);
}

describe('resolveModel', () => {
  it('keeps an explicit provider:model as it is', () => {
    for (const spec of [
      'gemini:gemini-2.5-flash',
      'openai:llama3.1:8b',
      'openai:my-org/custom',
      'replay:tapes/x.yaml',
      'gemini:anything',
    ]) {
      expect(resolveModel(spec)).toBe(spec);
    }
  });

  it('gives a bare name to the provider whose patterns own it', () => {
    expect(resolveModel('gemini-1.5-flash')).toBe('gemini:gemini-1.5-flash');
    expect(resolveModel('gpt-4o-mini')).toBe('openai:gpt-4o-mini');
    expect(resolveModel('llama3')).toBe('openai:llama3');
    expect(resolveModel('o3-mini')).toBe('openai:o3-mini');
    // An Ollama tag holds a colon: the part before it is no provider, so the whole name is bare.
    expect(resolveModel('llama3.1:8b')).toBe('openai:llama3.1:8b');
    expect(resolveModel('qwen2.5-coder:7b')).toBe('openai:qwen2.5-coder:7b');
    expect(resolveModel('examples/hello-loop.yaml')).toBe('replay:examples/hello-loop.yaml');
    expect(resolveModel('/abs/tape.yml')).toBe('replay:/abs/tape.yml');
  });

  it('matches patterns without regard to case, and keeps the spelling', () => {
    expect(resolveModel('GPT-4o')).toBe('openai:GPT-4o');
    expect(resolveModel('Gemini-2.5-Pro')).toBe('gemini:Gemini-2.5-Pro');
  });

  it('refuses an unknown bare name, listing the providers and the bare names they own', () => {
    const error = einval('claude-3-opus');
    expect(error.message).toContain('provider:model');
    for (const needle of ['gemini', 'openai', 'replay', 'gemini-*', 'gpt-*', '*.yaml'])
      expect(error.message).toContain(needle);
  });

  it('refuses an unknown provider prefix as before', () => {
    expect(einval('claude:opus').message).toContain(
      'unknown model provider "claude" in model "claude:opus" (available: gemini, openai, replay)',
    );
  });

  it('refuses a provider without a model, with an example to copy', () => {
    expect(einval('gemini').message).toMatch(
      /names a provider, not a model: write provider:model, e\.g\. gemini:gemini-2\.5-flash/,
    );
    expect(einval('openai:').message).toContain('names no model');
  });
});

describe('splitModel and normalizeModel', () => {
  it('split on the first colon; replay paths become absolute against the caller', () => {
    expect(splitModel('openai:llama3.1:8b')).toEqual({ provider: 'openai', name: 'llama3.1:8b' });
    expect(() => splitModel('gpt-4o')).toThrow(/provider:model/);
    expect(normalizeModel('replay:t.yaml', '/home/u')).toBe('replay:/home/u/t.yaml');
    expect(normalizeModel('openai:llama3', '/home/u')).toBe('openai:llama3');
  });
});
