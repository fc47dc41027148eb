/**
 * Red team (issue 33): a webhook body choosing the thread a unit's run attaches. The rendered key
 * always keeps the template's literal prefix (holds); but a value is not confined to the one
 * segment the template gives it: separators (`/`, `:`, `.`, `@`, `+`) in the body reach threads
 * under the named one (`client:acme/board-notes`), and non-ASCII letters fold into ASCII ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderAttach } from '../../kernel/units/template.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const body = (client: unknown): { body: string } => ({ body: JSON.stringify({ client }) });

describe('red team: webhook body and unit attach', () => {
  it("holds: no body value gets a key outside the template's literal prefix", () => {
    const values = [
      '../x',
      'acme/../../invoice:1',
      '}}{{trigger.body.x}}',
      'x\ninvoice:1',
      ' invoice:1',
      '\u0000',
      ['invoice:1'],
      { a: 1 },
      '%2e%2e',
      'İnvoice',
      'ß',
    ];
    for (const v of values) {
      let key: string | null = null;
      try {
        key = (renderAttach(['client:{{trigger.body.client}}'], body(v)) ?? [])[0] ?? null;
      } catch {
        key = null;
      }
      if (key !== null) expect(key.startsWith('client:'), `${JSON.stringify(v)} -> ${key}`).toBe(true);
    }
  });

  it('a body value fills one segment: separators in it are refused (client:{{trigger.body.client}} never gives client:acme/board-notes)', () => {
    const reached: string[] = [];
    for (const v of ['acme/board-notes', 'acme:payroll', 'acme.internal', 'acme@x', 'acme+y']) {
      try {
        reached.push(...(renderAttach(['client:{{trigger.body.client}}'], body(v)) ?? []));
      } catch {
        // refused: what the template means
      }
    }
    expect(reached).toEqual([]);
  });

  it('a body value is not folded from non-ASCII into ASCII (KELVIN SIGN is not "k")', () => {
    expect(() => renderAttach(['client:{{trigger.body.client}}'], body('\u212Aey'))).toThrow();
  });

  it('through the kernel: a webhook body makes the run attach (and hold thread: for) a sub-thread the template never named', async () => {
    h = await startHarness(
      { billing: [call('WEBHOOK_REPLY', { body: 'ok' }) + '\n' + EXIT] },
      { rootCapabilities: [...ALL_CAPS, 'webhook', 'thread:**'], webhookPort: 0 },
    );
    h.kernel.threads.append('client:acme/board-notes', { text: 'acquisition talks, confidential', pid: 0, unit: null });
    h.kernel.units.add({
      name: 'billing',
      task: 'Bill {{trigger.body.client}}',
      model: `replay:${h.tape}`,
      capabilities: ['webhook'],
      attach: ['client:{{trigger.body.client}}'],
      triggers: [{ webhook: { path: 'bill' } }],
    });
    const url = h.kernel.units.webhooks('billing')[0]?.url as string;
    await (
      await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ client: 'acme/board-notes' }),
        headers: { 'content-type': 'application/json' },
      })
    ).text();
    const run = h.kernel.units.runs('billing', 10)[0];
    const pcb = run?.pid ? await h.kernel.waitExit(run.pid) : null;
    expect(pcb?.threads ?? []).not.toContain('client:acme/board-notes');
  }, 30_000);
});
