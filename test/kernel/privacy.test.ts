/**
 * Personal data kept local, in a real kernel: a task carrying an IBAN reaches the local fake
 * provider and never the hosted one; emails leave as placeholders and come back as themselves in
 * what the kernel runs; an API key in the context is refused — nothing is sent; each decision is an
 * audit record. The "hosted" provider is a fake Gemini server, the local one a fake OpenAI-compatible one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_COST_POLICY, type CostPolicy } from '../../kernel/cost/cost-policy.js';
import { toPrivacy } from '../../kernel/cost/privacy-spec.js';
import { type FakeProvider, startFakeProvider } from '../fakes/fake-provider.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
const fakes: FakeProvider[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  vi.unstubAllEnvs();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const IBAN = 'DE89 3704 0044 0532 0130 00';

function privacy(raw: Parameters<typeof toPrivacy>[0]): CostPolicy {
  return { ...NO_COST_POLICY, privacy: toPrivacy(raw, '/tmp', 'policy.yaml') };
}

async function providers(): Promise<{ hosted: FakeProvider; local: FakeProvider }> {
  const hosted = await startFakeProvider({ reply: EXIT });
  const local = await startFakeProvider({ reply: EXIT });
  fakes.push(hosted, local);
  vi.stubEnv('GEMINI_API_KEY', 'test-key');
  vi.stubEnv('GEMINI_BASE_URL', hosted.url);
  vi.stubEnv('OPENAI_BASE_URL', `${local.url}/v1`);
  vi.stubEnv('OPENAI_API_KEY', '');
  return { hosted, local };
}

const sentText = (f: FakeProvider): string => JSON.stringify(f.requests.map((r) => r.body));

describe('personal data kept local', () => {
  it('sends a turn carrying an IBAN to the local model, never to the hosted one, and audits it', async () => {
    const { hosted, local } = await providers();
    h = await startHarness(
      {},
      { cost: privacy({ rules: [{ kinds: ['iban', 'card'], action: 'route_local', model: 'openai:llama3.1:8b' }] }) },
    );
    const pcb = await h.kernel.spawn({ task: `Pay the invoice to ${IBAN}.`, model: 'gemini:gemini-2.5-flash' });
    const ended = await h.kernel.waitExit(pcb.pid);
    expect(ended.exitCode).toBe(0);
    expect(hosted.requests).toHaveLength(0);
    expect(local.requests).toHaveLength(1);
    expect(sentText(local)).toContain(IBAN);
    const model = h.eventsOf(pcb.pid, 'model')[0];
    expect(model).toMatchObject({ type: 'model', model: 'openai:llama3.1:8b' });
    const audit = h.kernel.store.audit.list({ limit: 100 }).filter((r) => r.call === 'PRIVACY');
    expect(audit.at(-1)).toMatchObject({
      pid: pcb.pid,
      decision: 'allow',
      subject: 'iban in a request to gemini:gemini-2.5-flash',
      reason: 'sent to the local model openai:llama3.1:8b instead',
    });
    // Without personal data the hosted model answers, as asked.
    const plain = await h.kernel.spawn({ task: 'Say hello.', model: 'gemini:gemini-2.5-flash' });
    await h.kernel.waitExit(plain.pid);
    expect(hosted.requests).toHaveLength(1);
  });

  it('sends emails as placeholders and puts them back in what the kernel runs', async () => {
    h = await startHarness(
      {
        root: [
          {
            expect: 'Write [EMAIL_1] and [EMAIL_2] to to.txt; [EMAIL_1] first.',
            reply: call('FS_WRITE', { path: 'to.txt', content: '[EMAIL_1], [EMAIL_2]' }),
          },
          { expect: '"path":"/to.txt"', reply: EXIT },
        ],
      },
      { cost: privacy({ rules: [{ kinds: ['email'], action: 'redact' }] }) },
    );
    const pcb = await h.run({ task: 'Write ada@example.org and bob@example.net to to.txt; ada@example.org first.' });
    expect(pcb.exitCode).toBe(0);
    expect(await readFile(path.join(h.workspace, 'to.txt'), 'utf8')).toBe('ada@example.org, bob@example.net');
    // The transcript keeps what the kernel ran: the values, not the placeholders.
    expect((h.eventsOf(pcb.pid, 'model')[0] as { text: string }).text).toContain('ada@example.org, bob@example.net');
  });

  it('refuses to send an API key: nothing leaves, the process ends saying why, and the refusal is audited', async () => {
    const { hosted } = await providers();
    h = await startHarness(
      {},
      {
        cost: privacy({
          rules: [
            { kinds: ['api_key'], action: 'refuse' },
            { kinds: ['email'], action: 'redact' },
          ],
        }),
      },
    );
    const pcb = await h.kernel.spawn({
      task: 'Use the key sk-proj-abcdefghijklmnopqrstuvwxyz012345 to call ada@example.org.',
      model: 'gemini:gemini-2.5-flash',
    });
    const ended = await h.kernel.waitExit(pcb.pid);
    expect(ended.exitCode).toBe(1);
    expect(ended.exitReason).toMatch(
      /^privacy: api_key found in what turn 0 would send to gemini:gemini-2\.5-flash; the policy refuses to send it/,
    );
    expect(hosted.requests).toHaveLength(0);
    expect(
      h.kernel.store.audit
        .list({ limit: 100 })
        .filter((r) => r.call === 'PRIVACY')
        .at(-1),
    ).toMatchObject({ decision: 'deny', reason: 'not sent' });
  });

  it('leaves a turn to a local model as it is', async () => {
    const { local } = await providers();
    h = await startHarness(
      {},
      { cost: privacy({ rules: [{ kinds: ['email'], action: 'refuse' }], local: ['openai:llama3.1:8b'] }) },
    );
    const pcb = await h.kernel.spawn({ task: 'Mail ada@example.org.', model: 'openai:llama3.1:8b' });
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    expect(sentText(local)).toContain('ada@example.org');
  });
});
