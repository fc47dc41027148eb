/** The set-up help a spawn without a model gets, generated from the provider table. */
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../../drivers/llm/providers.js';
import { describeModelSetup } from '../../../drivers/llm/setup.js';

describe('describeModelSetup', () => {
  it('says how to name a model and how to set up each provider', () => {
    const setup = describeModelSetup();
    for (const needle of [
      '--model provider:model',
      'AOS_MODEL',
      'default_model',
      'gemini:gemini-2.5-flash',
      'GEMINI_API_KEY',
      'OPENAI_BASE_URL',
      'OPENAI_API_KEY',
      'http://127.0.0.1:11434/v1',
      'replay:',
    ]) {
      expect(setup).toContain(needle);
    }
  });

  it('has a paragraph per table entry: its example, title, help and bare names', () => {
    const setup = describeModelSetup();
    for (const provider of PROVIDERS) {
      expect(setup).toContain(`  ${provider.example}   ${provider.title}`);
      for (const line of provider.setup) expect(setup).toContain(line);
      for (const pattern of provider.patterns) expect(setup).toContain(pattern);
    }
  });
});
