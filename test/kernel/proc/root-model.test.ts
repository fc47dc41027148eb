/** A root spawn's model: the caller's (any way of naming it), else the kernel's default, else EINVAL with the set-up help. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { describeModelSetup } from '../../../drivers/llm/setup.js';
import { AosError } from '../../../sys/errno.js';
import { defaultModelOf } from '../../../kernel/proc/root-model.js';
import { EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function refusal(promise: Promise<unknown>): Promise<AosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AosError);
  return error as AosError;
}

describe('a root process without a model', () => {
  it('is refused with EINVAL and the set-up help generated from the provider table when the kernel has no default', async () => {
    h = await startHarness({ root: [EXIT] });
    const error = await refusal(h.kernel.spawn({ task: 'x' }));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toBe(describeModelSetup());
    expect(h.kernel.list()).toEqual([]);
    expect(defaultModelOf(h.kernel)).toBeNull();
  });

  it("runs on the kernel's default model, a relative tape resolved against the kernel's directory", async () => {
    h = await startHarness({ root: [EXIT] }, { defaultModel: 'tape.yaml' });
    const pcb = await h.kernel.waitExit((await h.kernel.spawn({ task: 'x' })).pid);
    expect(pcb.exitCode).toBe(0);
    expect(pcb.model).toBe(`replay:${h.tape}`);
    expect(defaultModelOf(h.kernel)).toBe(`replay:${h.tape}`);
  });

  it("says a bad default is the kernel's default, not the caller's", async () => {
    h = await startHarness({ root: [EXIT] }, { defaultModel: 'claude-3-opus' });
    const error = await refusal(h.kernel.spawn({ task: 'x' }));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toMatch(
      /^the kernel's default model \(its AOS_MODEL, or default_model in its policy\): model "claude-3-opus"/,
    );
    expect(defaultModelOf(h.kernel)).toBe('claude-3-opus');
  });
});

describe('a root process naming its model', () => {
  it('is given the name resolved: a bare tape path is replay, relative to the caller', async () => {
    h = await startHarness({ root: [EXIT] }, { defaultModel: 'replay:/nowhere.yaml' });
    const cwd = path.join(h.dir, 'elsewhere');
    await mkdir(cwd);
    await writeFile(path.join(cwd, 'mine.yaml'), YAML.stringify({ agents: { root: [EXIT] } }));
    const pcb = await h.kernel.waitExit((await h.kernel.spawn({ task: 'x', model: 'mine.yaml', cwd })).pid);
    expect(pcb.exitCode).toBe(0);
    expect(pcb.model).toBe(`replay:${cwd}/mine.yaml`);
  });

  it('refuses an unknown bare name with EINVAL listing the providers, starting nothing', async () => {
    h = await startHarness({ root: [EXIT] });
    const error = await refusal(h.kernel.spawn({ task: 'x', model: 'mystery-model' }));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toContain('Providers: gemini, openai, replay');
    expect(h.kernel.list()).toEqual([]);
  });
});
