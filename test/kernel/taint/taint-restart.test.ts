/**
 * Taint survives a restart (issue 49): it is kept in the process's row, so a kernel stopped while a
 * tainted process waits for a person — and one killed outright — brings it back tainted, its
 * sources and its frame tag the same, its request still showing them, and its rules still holding.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, type KernelOptions } from '../../../kernel/kernel.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';
import { hostileServer, taintPolicy } from './taint-harness.js';

let dir: string | null = null;
const open: Kernel[] = [];
let server: Awaited<ReturnType<typeof hostileServer>> | null = null;
afterEach(async () => {
  for (const k of open.splice(0)) await k.shutdown().catch(() => undefined);
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
  server = null;
});

describe('a tainted process across a restart', () => {
  it.each([
    ['a graceful stop', {}],
    ['a crash', { crashed: true }],
  ] as const)('stays tainted after %s, and its request still shows why', async (_what, closeOptions) => {
    server = await hostileServer();
    const url = `${server.url}/page`;
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-taint-restart-'));
    const tape = path.join(dir, 'tape.yaml');
    await writeFile(
      tape,
      YAML.stringify({
        agents: {
          root: [
            call('NET_FETCH', { url }),
            call('FS_WRITE', { path: '/report.txt', content: 'r' }),
            call('FS_WRITE', { path: '/second.txt', content: 's' }),
            EXIT,
          ],
        },
      }),
    );
    const options: KernelOptions = {
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ['net.fetch:127.0.0.1', 'fs.write:/**'],
      netAllowPrivate: ['127.0.0.1:*'],
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
      safety: taintPolicy(),
    };
    const first = await Kernel.create(options);
    open.push(first);
    const pcb = await first.spawn({ task: 't', model: `replay:${tape}` });
    await until(() => first.safety.approvals.list(10).length === 1, 10_000, 'the write to wait for a person');
    const [asked] = first.safety.approvals.list(10);
    const before = first.proc(pcb.pid)!.taint;
    const tag = before.tag;
    const sources = before.view().sources;
    await first.close(closeOptions);
    open.splice(open.indexOf(first), 1);

    const second = await Kernel.create(options);
    open.push(second);
    const after = second.proc(pcb.pid)!.taint;
    expect(after.view()).toMatchObject({ tainted: true, count: 1, sources });
    expect(after.tag).toBe(tag);
    await until(() => second.safety.approvals.list(10).length === 1, 10_000, 'the request again');
    const [request] = second.safety.approvals.list(10);
    // The same request: the call it was bound to asks again and takes it (none withdrawn, none opened anew).
    expect(request).toMatchObject({
      id: asked!.id,
      rule: 'taint.fs.write: ask',
      taint: { sources: [{ source: 'net', detail: url }] },
    });
    second.safety.approvals.approve(request!.id, 'socket');
    // Its next write outside scratch still needs a person: the rules hold after the restart.
    await until(
      () => second.safety.approvals.list(10).some((r) => r.subject === '/second.txt'),
      10_000,
      'the second write to ask too',
    );
    const next = second.safety.approvals.list(10).find((r) => r.subject === '/second.txt');
    second.safety.approvals.deny(next!.id, 'no', 'socket');
    const end = await second.waitExit(pcb.pid);
    expect(end.exitCode).toBe(0);
  });
});
