/** The policy's default_model: resolved like any model name when the policy loads, so a typo stops the start. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parsePolicy } from '../../../kernel/safety/policy.js';

const BASE = 'version: 1\nroot: {capabilities: [spawn]}\n';

describe('default_model', () => {
  it('is absent from the shipped policy, and valid when its commented line is uncommented', () => {
    expect(parsePolicy(DEFAULT_POLICY, 'default').defaultModel).toBeUndefined();
    const opened = DEFAULT_POLICY.replace('# default_model:', 'default_model:');
    expect(opened).not.toBe(DEFAULT_POLICY);
    expect(parsePolicy(opened, '/etc/aos/policy.yaml').defaultModel).toBe('gemini:gemini-2.5-flash');
  });

  it('is resolved: a bare name goes to its provider, an explicit one stays, a tape is relative to the policy file', () => {
    expect(parsePolicy(`${BASE}default_model: llama3.1:8b\n`, '/p/policy.yaml').defaultModel).toBe(
      'openai:llama3.1:8b',
    );
    expect(parsePolicy(`${BASE}default_model: openai:my/model\n`, '/p/policy.yaml').defaultModel).toBe(
      'openai:my/model',
    );
    expect(parsePolicy(`${BASE}default_model: tapes/t.yaml\n`, '/p/policy.yaml').defaultModel).toBe(
      'replay:/p/tapes/t.yaml',
    );
    expect(parsePolicy(`${BASE}default_model: replay:t.yaml\n`, '/p/policy.yaml').defaultModel).toBe(
      'replay:/p/t.yaml',
    );
  });

  it.each([
    [
      'an unknown bare name',
      'mystery',
      /policy \/p\/policy\.yaml: default_model: model "mystery" is not of the form provider:model.*Providers: gemini, openai, replay/,
    ],
    ['an unknown provider', 'claude:opus', /default_model: unknown model provider "claude"/],
    ['an empty name', '""', /default_model/],
    ['a list', '[a, b]', /default_model/],
  ])('refuses %s, naming the file and the key', (_what, value, message) => {
    expect(() => parsePolicy(`${BASE}default_model: ${value}\n`, '/p/policy.yaml')).toThrow(message);
  });
});
