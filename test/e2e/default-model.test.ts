/**
 * Which model `aos spawn` runs on, through the real CLI and daemon: --model (provider:model or a
 * bare name), else the caller's AOS_MODEL, else the daemon's AOS_MODEL, else the policy's
 * default_model, else a refusal with the set-up help generated from the provider table.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let t: TestHome;
beforeEach(async () => {
  t = await makeHome();
});
afterEach(async () => {
  await t.dispose();
});

const exitWith = (result: string): unknown[] => [`[SYS_CALL::SYS_EXIT] ${JSON.stringify({ code: 0, result })}`];

describe('the model of aos spawn', () => {
  it('takes a bare name as --model, and refuses an unknown one listing the providers', async () => {
    await t.tape({ root: exitWith('bare') }, 'bare.yaml');
    const bare = await t.cli(['spawn', 'x', '--model', path.join(t.home, 'bare.yaml'), '--json']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain(`"model":"replay:${path.join(t.home, 'bare.yaml')}"`);
    const unknown = await t.cli(['spawn', 'x', '--model', 'mystery-model']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('aos: model "mystery-model" is not of the form provider:model');
    expect(unknown.stderr).toContain('Providers: gemini, openai, replay');
  });

  it("uses the policy's default_model when neither --model nor AOS_MODEL is given; the caller's AOS_MODEL wins over it", async () => {
    await t.tape({ root: exitWith('from the policy') }, 'policy-tape.yaml');
    const fromCaller = await t.tape({ root: exitWith('from the caller') }, 'caller-tape.yaml');
    const policy = path.join(t.home, 'policy.yaml');
    // Relative to the policy file.
    await writeFile(
      policy,
      YAML.stringify({ version: 1, default_model: 'policy-tape.yaml', root: { capabilities: ['spawn'] } }),
    );
    const env = { AOS_POLICY: policy, AOS_MODEL: '' };
    const byPolicy = await t.cli(['spawn', 'x'], { env });
    expect(byPolicy.code, byPolicy.stderr).toBe(0);
    expect(byPolicy.stdout).toContain('from the policy');
    const byCaller = await t.cli(['spawn', 'x'], { env: { ...env, AOS_MODEL: fromCaller } });
    expect(byCaller.code, byCaller.stderr).toBe(0);
    expect(byCaller.stdout).toContain('from the caller');
  });

  it("uses the daemon's AOS_MODEL when the caller has none", async () => {
    const daemons = await t.tape({ root: exitWith('from the daemon') }, 'daemon-tape.yaml');
    const started = await t.cli(['kernel', 'start'], { env: { AOS_MODEL: daemons } });
    expect(started.code, started.stderr).toBe(0);
    const run = await t.cli(['spawn', 'x'], { env: { AOS_MODEL: '' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('from the daemon');
  });

  it('with no model anywhere, says how to name and set one up, from the kernel', async () => {
    const run = await t.cli(['spawn', 'x'], { env: { AOS_MODEL: '' } });
    expect(run.code).toBe(1);
    for (const needle of [
      'aos: no model given',
      '--model provider:model',
      'AOS_MODEL',
      'default_model',
      'GEMINI_API_KEY',
      'OPENAI_BASE_URL',
      'replay:<tape.yaml>',
    ]) {
      expect(run.stderr).toContain(needle);
    }
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
