/**
 * A webhook unit added while the policy's root held `webhook`, read back by a kernel whose policy no
 * longer gives it: its runs could not answer a request, and the start says so (issue 51.4).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { gatewayAt } from '../../helpers/gateway.js';
import { ALL_CAPS } from '../../helpers/kernel-harness.js';

let dir = '';
const kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.shutdown().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function open(rootCapabilities: string[], log: string[]): Promise<Kernel> {
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities,
    cwd: dir,
    storeFile: path.join(dir, 'aos.db'),
    gateway: gatewayAt(0),
    log: (level, message) => log.push(`${level}: ${message}`),
  });
  kernels.push(kernel);
  return kernel;
}

describe('a webhook unit the policy no longer lets answer', () => {
  it('is warned about when the kernel reads it back', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-units-hook-'));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(tape, 'agents:\n  intake: []\n');
    const first = await open([...ALL_CAPS, 'webhook'], []);
    first.units.add({ name: 'intake', task: 't', model: `replay:${tape}`, triggers: [{ webhook: 'orders' }] });
    await first.store.committed();
    await first.close();
    kernels.splice(0);
    const log: string[] = [];
    const second = await open(ALL_CAPS, log);
    expect(second.units.list().map((u) => u.name)).toEqual(['intake']);
    expect(log).toContainEqual(
      expect.stringMatching(
        /^warn: unit intake has a webhook trigger, but the policy's root does not hold the webhook capability/,
      ),
    );
  });
});
