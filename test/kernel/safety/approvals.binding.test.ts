/**
 * An approval request is bound to one call (issue 27.5). The scenario that broke: a process parked
 * on an asked call (then `EXEC_CMD git push`; since issue 46 a command asks at the exec gate, while
 * it runs, so the call here is an FS_WRITE to /conf); the policy changed and the kernel restarted;
 * its next `ask` call — an FS_WRITE to /src — parked on the old request, and approving what was
 * shown as the first call ran the second, with no audit record of its own.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { bindingOf } from '../../../kernel/safety/approval-record.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const policy = (rules: string) => parsePolicy(`version: 1\nroot: {capabilities: [exec]}\nrules:\n${rules}`, 'p').safety;
const ASK_CONF = policy('  - ask: "fs.write:/conf/**"\n');
const ASK_SRC = policy('  - ask: "fs.write:/src/**"\n');

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe('an approval is bound to one call', () => {
  it('does not let the old request of a changed call answer a new one, and audits every decision', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aos-binding-'));
    const tape = path.join(dir, 'tape.yaml');
    const conf = call('FS_WRITE', { path: '/conf/app.yaml', content: 'debug: true' });
    const backdoor = call('FS_WRITE', { path: '/src/backdoor.js', content: 'evil()' });
    await writeFile(tape, YAML.stringify({ agents: { root: [`${conf}\n${backdoor}`, EXIT] } }));
    const base = {
      workspace: path.join(dir, 'ws'),
      rootCapabilities: ALL_CAPS,
      cwd: dir,
      storeFile: path.join(dir, 'aos.db'),
    };

    const first = await Kernel.create({ ...base, safety: ASK_CONF });
    const pcb = await first.spawn({ task: 't', model: `replay:${tape}` });
    await until(() => first.safety.approvals.list(10).length === 1, 10_000, 'the first write to be asked');
    const [old] = first.safety.approvals.list(10);
    expect(old).toMatchObject({ call: 'FS_WRITE', args: { path: '/conf/app.yaml' } });
    await first.close();

    const second = await Kernel.create({ ...base, safety: ASK_SRC });
    try {
      // The first write no longer asks: its request is withdrawn, the second asks on a request of its own.
      await until(
        () => second.safety.approvals.list(10).some((r) => r.id !== old!.id),
        20_000,
        'the write to be asked',
      );
      const [fresh] = second.safety.approvals.list(10);
      expect(fresh).toMatchObject({ call: 'FS_WRITE', args: { path: '/src/backdoor.js' } });
      expect(() => second.safety.approvals.approve(old!.id, 'socket')).toThrow(/no pending approval/);
      expect(existsSync(path.join(dir, 'ws/src/backdoor.js'))).toBe(false);
      second.safety.approvals.deny(fresh!.id, 'no backdoors', 'socket');
      await second.waitExit(pcb.pid);
      expect(existsSync(path.join(dir, 'ws/src/backdoor.js'))).toBe(false);
      const audit = second.safety.audit.list({ limit: 20 }).map((r) => [r.call, r.decision, r.approval]);
      expect(audit).toEqual([
        ['FS_WRITE', 'ask', old!.id],
        ['FS_WRITE', 'withdrawn', old!.id],
        ['FS_WRITE', 'allow', null],
        ['FS_WRITE', 'ask', fresh!.id],
        ['FS_WRITE', 'denied', fresh!.id],
      ]);
      // Each decision names what was asked about, not only the call.
      expect(second.safety.audit.list({ limit: 20 }).at(-1)).toMatchObject({
        subject: '/src/backdoor.js',
        reason: 'no backdoors',
      });
    } finally {
      await second.shutdown();
    }
  }, 60_000);

  it('binds to the turn, the call index and what the call is', () => {
    const at = (turn: number, next: number) => ({ pending: { turn, next } }) as Parameters<typeof bindingOf>[0];
    const write = { name: 'FS_WRITE', args: { path: '/src/a', content: 'x' } };
    expect(bindingOf(at(3, 1), write)).toBe(
      bindingOf(at(3, 1), { name: 'FS_WRITE', args: { content: 'x', path: '/src/a' } }),
    );
    expect(bindingOf(at(3, 1), write)).not.toBe(bindingOf(at(3, 2), write));
    expect(bindingOf(at(3, 1), write)).not.toBe(bindingOf(at(4, 1), write));
    expect(bindingOf(at(3, 1), write)).not.toBe(
      bindingOf(at(3, 1), { ...write, args: { path: '/src/b', content: 'x' } }),
    );
    expect(bindingOf(at(3, 1), write)).not.toBe(bindingOf(at(3, 1), { ...write, part: 'git push' }));
  });
});
