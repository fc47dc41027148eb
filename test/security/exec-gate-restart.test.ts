/**
 * A command parked at the exec gate is cut by a restart (issue 46.9): the exec gate asks a person
 * while the command runs, so whatever came before the asked program has run already. A graceful
 * close or a crash of the kernel while it waits must not run the command again from its start: the
 * call comes back EINTR, its request is settled (expired, with the reason) and is never re-parked.
 * A call parked by the call gate before it ran is still re-parked (test/kernel/safety/approvals).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { Kernel, type KernelOptions } from '../../kernel/kernel.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { KernelEvent } from '../../protocol/events.js';
import type { Pcb } from '../../sys/types.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { makeRepo, remoteHasMain } from '../helpers/git-repo.js';

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: exec-gate restart tests skipped');

const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "exec:git push*"\n',
  'ask-policy',
).safety;
/** The line check cannot follow `$(echo git)`: the push is met by the exec gate, after `echo run` ran. */
const CMD = 'echo run >> runs.log && cd repo && $(echo git) push -q';

let dir: string | null = null;
const open: Kernel[] = [];
afterEach(async () => {
  for (const k of open.splice(0)) await k.shutdown().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe.runIf(ready)('a command parked at the exec gate across a restart', () => {
  it.each([
    ['a graceful stop', {}],
    ['a crash', { crashed: true }],
  ] as const)(
    'is cut by %s: EINTR, its request settled, nothing run twice',
    async (_what, closeOptions) => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'aos-gate-restart-'));
      const tape = path.join(dir, 'tape.yaml');
      await writeFile(
        tape,
        YAML.stringify({
          agents: {
            root: [call('EXEC_CMD', { cmd: CMD }), { expect: ['"errno":"EINTR"', 'cut by a restart'], reply: EXIT }],
          },
        }),
      );
      const workspace = path.join(dir, 'ws');
      const options: KernelOptions = {
        workspace,
        rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'],
        cwd: dir,
        storeFile: path.join(dir, 'aos.db'),
        safety: POLICY,
      };
      const first = await Kernel.create(options);
      open.push(first);
      makeRepo(workspace);
      const pcb = await first.spawn({ task: 't', model: `replay:${tape}` });
      await until(() => first.safety.approvals.list(10).length === 1, 20_000, "the exec gate's approval request");
      const [request] = first.safety.approvals.list(10);
      expect(request?.args).toMatchObject({ argv: ['git', 'push', '-q'] });
      expect(await readFile(path.join(workspace, 'runs.log'), 'utf8')).toBe('run\n');
      expect(first.proc(pcb.pid)?.pcb.wait).toMatchObject({ kind: 'approval', id: request!.id, during: 'run' });
      await first.close(closeOptions);

      const second = await Kernel.create(options);
      open.push(second);
      const events: KernelEvent[] = [];
      second.events.subscribe((e) => events.push(e));
      let end: Pcb | null = null;
      void second.waitExit(pcb.pid).then((p) => (end = p));
      const runs = (): Promise<string> => readFile(path.join(workspace, 'runs.log'), 'utf8');
      // Before the fix the command ran again from its start and parked on a new request.
      await until(async () => end !== null || (await runs()) !== 'run\n', 20_000, 'the process to end');

      // Nothing ran twice, and the push never happened.
      expect(await runs()).toBe('run\n');
      expect(end).toMatchObject({ exitCode: 0 });
      expect(remoteHasMain(workspace)).toBe(false);
      const result = events.find(
        (e): e is Extract<KernelEvent, { type: 'result' }> => e.type === 'result' && e.name === 'EXEC_CMD',
      );
      expect(result).toMatchObject({
        ok: false,
        errno: 'EINTR',
        message: expect.stringMatching(new RegExp(`cut by a restart while it waited for approval ${request!.id}`)),
      });
      // The request is settled, on the trail with the reason, and never asked again.
      expect(second.safety.approvals.list(10)).toEqual([]);
      expect(second.safety.approvals.has(request!.id)).toBe(false);
      const trail = second.safety.audit.list({ limit: 10 }).filter((r) => r.approval === request!.id);
      expect(trail.map((r) => r.decision)).toEqual(['ask', 'expired']);
      expect(trail[1]?.reason).toMatch(/cut by a restart/);
      expect(events.filter((e) => e.type === 'approval').map((e) => (e as { status: string }).status)).toEqual([
        'expired',
      ]);
      expect(second.safety.audit.verify()).toMatchObject({ ok: true });
    },
    60_000,
  );
});
