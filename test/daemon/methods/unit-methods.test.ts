/** The units' methods over a real socket: a dry run shows the plan, an add keeps the unit, and each change is answered once stored. */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../protocol/protocol.js';
import { CapabilitySet } from '../../../sys/capabilities.js';
import { EXIT } from '../../helpers/kernel-harness.js';
import { rawClient, type RawClient, type ServerFixture, startServer } from '../../helpers/server-fixture.js';

let fx: ServerFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

let id = 0;
async function ask(c: RawClient, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  c.send({ id: ++id, method, params, protocol: PROTOCOL_VERSION });
  const [answer] = (await c.until((line) => line.id === id)).slice(-1);
  return answer as Record<string, unknown>;
}

describe('unit methods', () => {
  it('plans, adds, lists, runs by hand, records the run, disables and removes', async () => {
    fx = await startServer({ nightly: [EXIT] });
    const c = await rawClient(fx.socket);
    const spec = {
      name: 'nightly',
      task: 'tidy up',
      model: fx.model,
      capabilities: ['fs.read:/**'],
      triggers: [{ cron: '0 3 * * *', tz: 'UTC' }],
    };
    const plan = await ask(c, 'unit_add', { spec, dry_run: true });
    expect(plan).toMatchObject({
      ok: true,
      result: {
        added: false,
        capabilities: ['fs.read:/**'],
        beyond: [],
        unit: { name: 'nightly', triggers: ['cron 0 3 * * * UTC'] },
      },
    });
    expect((await ask(c, 'unit_ls', {})).result).toEqual({ units: [] });
    expect(await ask(c, 'unit_add', { spec })).toMatchObject({ ok: true, result: { added: true, replaced: false } });
    expect(await ask(c, 'unit_add', { spec })).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    expect(await ask(c, 'unit_add', { spec: { ...spec, description: 'v2' }, replace: true })).toMatchObject({
      ok: true,
      result: { replaced: true, unit: { description: 'v2' } },
    });
    const run = (await ask(c, 'unit_run', { name: 'nightly' })).result as { outcome: string; pid: number };
    expect(run.outcome).toBe('started');
    await fx.kernel.waitExit(run.pid);
    const runs = (await ask(c, 'unit_runs', { name: 'nightly' })).result as {
      runs: Array<{ trigger: string; pid: number }>;
    };
    expect(runs.runs[0]).toMatchObject({ trigger: 'by hand', pid: run.pid, outcome: 'started' });
    expect(await ask(c, 'unit_enable', { name: 'nightly', enabled: false })).toMatchObject({
      ok: true,
      result: { unit: { enabled: false, next_run: null } },
    });
    expect(await ask(c, 'unit_show', { name: 'nightly' })).toMatchObject({
      ok: true,
      result: { spec: { on_overlap: 'skip', catch_up: 'skip' }, capabilities: ['fs.read:/**'] },
    });
    expect(await ask(c, 'unit_rm', { name: 'nightly' })).toMatchObject({
      ok: true,
      result: { unit: { name: 'nightly' } },
    });
    expect(await ask(c, 'unit_show', { name: 'nightly' })).toMatchObject({ ok: false, error: { code: 'ESRCH' } });
    c.socket.destroy();
  });

  it('a plan names what the root lacks; the add itself is refused with EACCES; a bad unit is EINVAL', async () => {
    fx = await startServer({ x: [EXIT] });
    fx.kernel.rootCaps = new CapabilitySet(['fs.read:/**']);
    const c = await rawClient(fx.socket);
    const spec = { name: 'greedy', task: 't', capabilities: ['fs.read:/**', 'exec'] };
    expect((await ask(c, 'unit_add', { spec, dry_run: true })).result).toMatchObject({
      beyond: ['exec'],
      capabilities: ['fs.read:/**'],
    });
    const refused = await ask(c, 'unit_add', { spec });
    expect(refused).toMatchObject({ ok: false, error: { code: 'EACCES' } });
    expect((refused.error as { message: string }).message).toMatch(/asks for more than the policy's root holds: exec/);
    expect(await ask(c, 'unit_add', { spec: { name: 'x' } })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    c.socket.destroy();
  });
});
