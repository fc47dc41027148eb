/**
 * A secret's value in what a process is started with — its task, its role, a unit's or a webhook's
 * preface, a fork's added line — is masked where the process is made: the model is never shown it
 * (calls name {{secret:…}}), and neither the store nor `ps` nor `inspect` holds it. The role was masked
 * in the system prompt but stored raw; the task reached the model as written.
 */
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../kernel/safety/secrets.js';
import { call, EXIT, startHarness, type Harness } from '../helpers/kernel-harness.js';
import { measureRequests } from '../helpers/measured-model.js';

const TOKEN = 'ghp_spawned_value_never_shown_4f9e2a7c1b';
const spec = { name: 'GH_TOKEN', fromEnv: 'GH_TOKEN', fromFile: null, hosts: [], exec: [], mcp: [], channels: [] };
const forms = [TOKEN, Buffer.from(TOKEN).toString('base64'), TOKEN.slice(4, 24)];

async function harness(tape: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const secrets = await SecretBox.load([spec], '/nonexistent', { GH_TOKEN: TOKEN });
  return startHarness(tape, { secrets, rootCapabilities: ['spawn'] });
}

function holdsNone(text: string): void {
  for (const form of forms) expect(text).not.toContain(form);
}

describe('a secret in what a process starts with', () => {
  it.each([
    ['the task', { task: `Deploy with ${TOKEN} tonight` }],
    ['the task, base64', { task: `key: ${Buffer.from(TOKEN).toString('base64')}` }],
    ['the role', { task: 'work', role: `the keeper of ${TOKEN}` }],
  ])('%s: masked for the model, the store, ps and inspect', async (_, options) => {
    const h = await harness({ root: [EXIT] });
    try {
      const seen = await measureRequests(h);
      const pcb = await h.run(options);
      expect(seen.length).toBeGreaterThan(0);
      for (const s of seen) holdsNone(JSON.stringify(s.request));
      holdsNone(JSON.stringify(h.kernel.store.transcripts.load(pcb.pid)));
      holdsNone(JSON.stringify(await h.kernel.processes({ all: true })));
      holdsNone(JSON.stringify(await h.kernel.admin.inspect(pcb.pid)));
      expect(JSON.stringify(seen[0]?.request)).toContain('[secret GH_TOKEN]');
    } finally {
      await h.close();
    }
  });

  it("a child's task its parent wrote with the value: masked for the child's model too", async () => {
    const h = await harness({
      root: [call('SPAWN_AGENT', { role: 'worker', task: `use ${TOKEN}` }), call('WAIT', { pid: 2 }), EXIT],
      worker: [EXIT],
    });
    try {
      const seen = await measureRequests(h);
      await h.run({ task: 'delegate' });
      const child = seen.filter((s) => JSON.stringify(s.request).includes('worker'));
      expect(child.length).toBeGreaterThan(0);
      holdsNone(JSON.stringify(h.kernel.store.transcripts.load(2)));
      holdsNone(JSON.stringify(h.kernel.pcb(2) ?? h.kernel.endedPcb(2)));
    } finally {
      await h.close();
    }
  });

  it("a child's name its parent wrote with the value: masked in ps, inspect, the store and the child's own prompt", async () => {
    const masked = 'worker-[secret GH_TOKEN]';
    const h = await harness({
      root: [
        call('SPAWN_AGENT', { role: 'worker', name: `worker-${TOKEN}`, task: 'go' }),
        call('WAIT', { pid: 2 }),
        EXIT,
      ],
      [masked]: [EXIT],
    });
    try {
      const seen = await measureRequests(h);
      await h.run({ task: 'delegate' });
      expect((h.kernel.pcb(2) ?? h.kernel.endedPcb(2))?.name).toBe(masked);
      // The child's own requests (the root's show its own reply back to it, as written).
      const child = seen.filter((s) => JSON.stringify(s.request).includes('You are process 2'));
      expect(child.length).toBeGreaterThan(0);
      for (const s of child) holdsNone(JSON.stringify(s.request));
      holdsNone(JSON.stringify(await h.kernel.processes({ all: true })));
      holdsNone(JSON.stringify(await h.kernel.admin.inspect(2)));
      holdsNone(JSON.stringify(h.kernel.store.transcripts.load(2)));
    } finally {
      await h.close();
    }
  });

  // Adversarial spellings of a name (reread of a4cf17f and of cb3b1b8): the value base64'd, a run of it cut out
  // of the middle, in upper case, reversed, as hex, base64url or %-escapes — each spelling the masking knows.
  it.each([
    ['base64', `b-${Buffer.from(TOKEN).toString('base64')}`],
    ['a slice of the value', `s-${TOKEN.slice(4, 24)}`],
    ['upper case', `u-${TOKEN.toUpperCase()}`],
    ['reversed', `r-${[...TOKEN].reverse().join('')}`],
    ['hex', `h-${Buffer.from(TOKEN).toString('hex')}`],
    ['base64url', `x-${Buffer.from(TOKEN).toString('base64url')}`],
    ['%-escapes', `p-${[...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`],
  ])('a name holding the value as %s: ps and inspect hold none of it', async (_, name) => {
    const h = await harness({
      root: [call('SPAWN_AGENT', { role: 'worker', name, task: 'go' }), call('WAIT', { pid: 2 }), EXIT],
    });
    try {
      await h.run({ task: 'delegate' });
      // A spelling the name rules refuse (base64's `=`) makes no process: nothing to show.
      const listed = JSON.stringify(await h.kernel.processes({ all: true }));
      holdsNone(listed);
      // Nor the spelling itself (its part after the prefix).
      expect(listed).not.toContain(name.slice(2));
      if (h.kernel.pcb(2) ?? h.kernel.endedPcb(2)) {
        const inspected = JSON.stringify(await h.kernel.admin.inspect(2));
        holdsNone(inspected);
        expect(inspected).not.toContain(name.slice(2));
      }
    } finally {
      await h.close();
    }
  });

  it('a keyed spawn: its arguments kept with the key masked, and a retry with the same task answered with the first process', async () => {
    const h = await harness({ root: [EXIT] });
    try {
      const task = `Rotate ${TOKEN} now`;
      const first = await h.kernel.spawnKeyed('rotate-1', { task, model: `replay:${h.tape}` });
      const again = await h.kernel.spawnKeyed('rotate-1', { task, model: `replay:${h.tape}` });
      expect([again.pcb.pid, again.replayed]).toEqual([first.pcb.pid, true]);
      holdsNone(JSON.stringify(await h.kernel.store.idempotency.live(Date.now())));
      const refused = await h.kernel
        .spawnKeyed('rotate-1', { task: `Rotate ${TOKEN} later`, model: `replay:${h.tape}` })
        .then(
          () => null,
          (error: Error) => error.message,
        );
      expect(refused).toMatch(/task differs/);
      holdsNone(String(refused));
      await h.kernel.waitExit(first.pcb.pid);
    } finally {
      await h.close();
    }
  });

  it("a root's preface (a trigger's event, a webhook's body): masked", async () => {
    const h = await harness({ root: [EXIT] });
    try {
      const seen = await measureRequests(h);
      await h.run({ task: 'handle it', preface: `[EVENT::WEBHOOK] {"body":"token=${TOKEN}"}` });
      for (const s of seen) holdsNone(JSON.stringify(s.request));
    } finally {
      await h.close();
    }
  });
});
