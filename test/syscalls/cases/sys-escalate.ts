/** SYS_ESCALATE's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import type { SyscallCases } from './shared.js';

/** A ladder of two tapes with the same replies: which rung ran a turn shows in its route event. */
const strong = (dir: string): string => path.join(dir, 'strong.yaml');

export default {
  happy: {
    root: [call('SYS_ESCALATE', { reason: 'a hard step ahead' }), EXIT],
    setup: async (h) => copyFile(h.tape, strong(h.dir)),
    spawn: (h) => ({ model: 'auto', ladder: [h.tape, strong(h.dir)] }),
    verify: ({ h, pcb, subject }) => {
      expect(subject.value).toEqual({ asked: true, now: `replay:${h.tape}`, top: `replay:${strong(h.dir)}`, left: 4 });
      const routes = h.eventsOf(pcb.pid, 'route');
      expect(routes.map((r) => (r.type === 'route' ? [r.turn, r.rung, r.reason] : null))).toEqual([
        [0, 0, 'the cheapest rung'],
        [1, 1, 'asked (SYS_ESCALATE): a hard step ahead'],
      ]);
      expect(pcb.counters.models).toEqual({ [`replay:${h.tape}`]: 1, [`replay:${strong(h.dir)}`]: 1 });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'reason', kind: 'missing' },
      { args: { reason: 5 }, field: 'reason', kind: 'type' },
      { args: { reason: '' }, field: 'reason', kind: 'range' },
      { args: { reason: 'x', model: 'gemini-2.5-pro' }, field: 'model', kind: 'unknown' },
    ],
  },
  // Any laddered process may ask; the policy's cap answers EPERM (test/kernel/ladder.test.ts).
  eperm: null,
} satisfies SyscallCases;
