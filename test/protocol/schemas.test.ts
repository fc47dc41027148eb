/** The published JSON Schema is the zod schemas' (regenerate with npm run schema) and fits what the kernel sends. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectProcess } from '../../kernel/proc/inspect.js';
import { kernelEventSchema, procDetailSchema, procRowSchema, publishedJsonSchema } from '../../protocol/schemas.js';
import { ROOT } from '../helpers/cli.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    root: [
      call('SPAWN_AGENT', { role: 'helper', name: 'helper' }),
      call('WAIT', {}),
      call('FS_READ', { path: '/missing' }),
      EXIT,
    ],
    helper: [call('SYS_WRITE_STDOUT', { text: 'hi' }), EXIT],
  });
});
afterAll(async () => {
  await h.close();
});

describe('published schemas', () => {
  it('docs/schema/aos.schema.json is up to date with the zod schemas (npm run schema)', async () => {
    const file = JSON.parse(await readFile(path.join(ROOT, 'docs/schema/aos.schema.json'), 'utf8')) as unknown;
    expect(file).toEqual(publishedJsonSchema());
  });

  it('every event, row and detail of a real run fits its schema', async () => {
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    expect(new Set(h.events.map((e) => e.type))).toEqual(
      new Set(['state', 'prompt', 'request', 'model', 'syscall', 'result', 'message']),
    );
    for (const event of h.events) expect(kernelEventSchema.safeParse(event).error).toBeUndefined();
    for (const row of await h.kernel.processes({ all: true }))
      expect(procRowSchema.safeParse(row).error).toBeUndefined();
    expect(procDetailSchema.safeParse(await inspectProcess(h.kernel.table, root.pid)).error).toBeUndefined();
    expect(kernelEventSchema.safeParse({ ts: 'x', pid: 1, type: 'nonsense' }).success).toBe(false);
  });
});
