/**
 * Issue 47.5 end to end: the four everyday spellings that reached the remote model under a
 * `refuse` rule — a lower-case IBAN, a card number with non-breaking spaces, a phone number with
 * the `00` international prefix, an email at an IDN domain — through a real kernel whose policy is
 * parsed from YAML, against a fake remote provider that records every request: none may arrive.
 * Under `redact`, the same spellings leave as placeholders and come back exactly as written.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
let remote: FakeProvider | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  vi.unstubAllEnvs();
  await remote?.close();
  remote = null;
});

const ISSUE_EXAMPLES = [
  'pay de89 3704 0044 0532 0130 00',
  'card 4111\u00a01111\u00a01111\u00a01111',
  'call 0049 30 901820',
  'mail ada@bücher.de',
];

function costOf(rule: string): ReturnType<typeof parsePolicy>['cost'] {
  return parsePolicy(
    `version: 1\nroot: {capabilities: ['fs.read:/**', 'fs.write:/**']}\nprivacy:\n  rules:\n    - {kinds: [email, phone, iban, card], action: ${rule}}\n`,
    'privacy-policy.yaml',
  ).cost;
}

describe('personal data in everyday spellings never reaches the remote model (issue 47.5)', () => {
  it('refuses each of the issue’s four spellings: the fake remote records no request', async () => {
    remote = await startFakeProvider({ reply: EXIT });
    vi.stubEnv('GEMINI_API_KEY', 'test-key');
    vi.stubEnv('GEMINI_BASE_URL', remote.url);
    h = await startHarness({}, { cost: costOf('refuse') });
    const reached: string[] = [];
    const reasons: string[] = [];
    for (const example of ISSUE_EXAMPLES) {
      const before = remote.requests.length;
      const pcb = await h.kernel.spawn({ task: `Please ${example} today.`, model: 'gemini:gemini-2.5-flash' });
      const ended = await h.kernel.waitExit(pcb.pid);
      if (remote.requests.length > before) reached.push(example);
      reasons.push(ended.exitReason ?? '');
    }
    expect(reached).toEqual([]);
    expect(
      reasons.map(
        (r) =>
          /^privacy: (\w+) found in what turn 0 would send to gemini:gemini-2\.5-flash; the policy refuses/.exec(
            r,
          )?.[1],
      ),
    ).toEqual(['iban', 'card', 'phone', 'email']);
    // The control: the same kernel sends a turn without personal data to the remote model.
    const plain = await h.kernel.spawn({ task: 'Say hello.', model: 'gemini:gemini-2.5-flash' });
    expect((await h.kernel.waitExit(plain.pid)).exitCode).toBe(0);
    expect(remote.requests).toHaveLength(1);
  });

  it('redacts the same spellings and puts each back exactly as written in what the kernel runs', async () => {
    const task = `Write these to out.txt: ${ISSUE_EXAMPLES.join('; ')}.`;
    const placeholders = 'pay [IBAN_1]; card [CARD_1]; call [PHONE_1]; mail [EMAIL_1]';
    h = await startHarness(
      {
        root: [
          {
            expect: `Write these to out.txt: ${placeholders}.`,
            reply: call('FS_WRITE', { path: 'out.txt', content: placeholders }),
          },
          { expect: '"path":"/out.txt"', reply: EXIT },
        ],
      },
      { cost: costOf('redact') },
    );
    const pcb = await h.run({ task });
    expect(pcb.exitCode).toBe(0);
    expect(await readFile(path.join(h.workspace, 'out.txt'), 'utf8')).toBe(ISSUE_EXAMPLES.join('; '));
  });
});
