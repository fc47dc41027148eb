/** SPAWN_AGENT's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SPAWN_AGENT', { role: 'worker', task: 'do the thing', name: 'w1' }),
      { expect: [ok('SPAWN_AGENT'), '"pid":2'], reply: call('WAIT', { pid: 2, timeout_s: 5 }) },
      { expect: '"exit_code":0', reply: EXIT },
    ],
    agents: { w1: [{ expect: ['[TASK (from your parent, pid 1)]', 'do the thing'], reply: EXIT }] },
    verify: ({ h: harness, subject }) => {
      expect(subject.value).toEqual({ pid: 2 });
      const child = harness.kernel.pcb(2);
      expect(child).toMatchObject({ ppid: 1, name: 'w1', role: 'worker', task: 'do the thing', exitCode: 0 });
      // No permissions listed: the child holds all of its parent's.
      expect(child?.capabilities).toEqual(ALL_CAPS);
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'role', kind: 'missing' },
      { args: { role: 5 }, field: 'role', kind: 'type' },
      { args: { role: 'w', name: 'bad name!' }, field: 'name', kind: 'range' },
      { args: { role: 'w', priority: 99 }, field: 'priority', kind: 'range' },
      { args: { role: 'w', pipe_to: 'child' }, field: 'pipe_to', kind: 'type' },
      { args: { role: 'w', permissions: 'exec' }, field: 'permissions', kind: 'type' },
      { args: { role: 'w', timeout: 5 }, field: 'timeout', kind: 'unknown' },
      // A capability string the kernel does not know is refused, not silently dropped.
      { args: { role: 'w', permissions: ['root'] }, field: 'root', kind: 'value' },
      { args: { role: 'w', model: 'gemini' }, field: 'provider:model', kind: 'value' },
      { args: { role: 'w', model: 'claude:opus' }, field: 'unknown model provider "claude"', kind: 'value' },
    ],
    nothingHappened: ({ h: harness, probes }) => {
      expect(harness.kernel.list()).toHaveLength(1);
      expect(probes.every((p) => p.children === 0)).toBe(true);
    },
  },
  eperm: {
    needs: 'spawn',
    caps: ['fs.read:/**', 'ipc'],
    root: [call('SPAWN_AGENT', { role: 'worker' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    agents: { worker: [EXIT] },
    verify: ({ h: harness, probes }) => {
      expect(harness.kernel.list().map((p) => p.pid)).toEqual([1]);
      expect(probes[0]?.children).toBe(0);
      expect(harness.events.some((e) => e.pid === 2)).toBe(false);
    },
  },
} satisfies SyscallCases;
