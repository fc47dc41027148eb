/** A system prompt masked by the paragraph, long paragraphs remembered: the same text as masking it whole. */
import { describe, expect, it } from 'vitest';
import { PromptMask } from '../../../kernel/safety/prompt-mask.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import type { SecretSpec } from '../../../kernel/safety/policy-secrets.js';

const VALUE = 'Zq7xW3vKm9Tt2LpY8sNc4Rb6Hj1D';
const spec = (name: string): SecretSpec => ({
  name,
  fromEnv: name,
  fromFile: null,
  hosts: [],
  exec: [],
  mcp: [],
  channels: [],
});
const load = (env: Record<string, string>): Promise<SecretBox> =>
  SecretBox.load(Object.keys(env).map(spec), '/nonexistent', env);

const LONG = 'The syscall reference, the same in every process. '.repeat(40);

describe('PromptMask', () => {
  it('masks every paragraph as masking the whole prompt would, in every form', async () => {
    const box = await load({ T: VALUE });
    const mask = new PromptMask(() => box);
    const prompts = [
      `You are process 7.\n\n${LONG}\n\nMCP tools: says «token ${VALUE}»`,
      `${LONG}${Buffer.from(VALUE).toString('base64')}\n\nrole: ${VALUE.slice(3, 14)}\n\n\n\n${LONG}`,
      `hex ${Buffer.from(VALUE).toString('hex').replace(/(..)/g, '$1\n')}`,
    ];
    for (const text of prompts) {
      expect(mask.mask(text)).toBe(String(box.mask(text)));
      expect(mask.mask(text)).not.toContain(VALUE.slice(0, 8));
      expect(mask.mask(text)).toContain('[secret T]');
    }
  });

  it('a remembered paragraph is masked once', async () => {
    const box = await load({ T: VALUE });
    let masked = 0;
    const counting = Object.assign(Object.create(box) as SecretBox, {
      mask: (value: unknown) => {
        if (String(value) === LONG) masked++;
        return box.mask(value);
      },
    });
    const mask = new PromptMask(() => counting);
    for (let pid = 1; pid <= 5; pid++) expect(mask.mask(`You are process ${pid}.\n\n${LONG}`)).toContain(LONG);
    expect(masked).toBe(1);
  });

  it('a value holding a blank line is masked across paragraphs: the prompt is masked whole', async () => {
    const pem = `-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n\nhkiG9w0BAQEFAASC\n-----END KEY-----`;
    const box = await load({ PEM: pem });
    const text = `intro\n\n${'x'.repeat(600)} ${pem.slice(24, 50)} tail`;
    expect(new PromptMask(() => box).mask(text)).toBe(String(box.mask(text)));
    expect(new PromptMask(() => box).mask(text)).not.toContain('BADANBgkq\n\nhkiG');
  });

  it('leaves the prompt as it is without secrets', () => {
    const text = `a\n\n${LONG}`;
    expect(new PromptMask(() => SecretBox.empty()).mask(text)).toBe(text);
  });
});
