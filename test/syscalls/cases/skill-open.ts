/** SKILL_OPEN's cases (happy, EINVAL; any process may call it) for the syscall table runner, ../table.test.ts. */
import path from 'node:path';
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { writeSkill } from '../../helpers/skill-dirs.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('SKILL_OPEN', { name: 'csv-report' }),
      { expect: [ok('SKILL_OPEN'), '"body":"Total it."'], reply: EXIT },
    ],
    caps: [...ALL_CAPS, 'skill:csv-*'],
    setup: async (h) => {
      const shelf = path.join(h.dir, 'skills');
      await writeSkill(shelf, 'csv-report', 'Totals a CSV column.', { body: 'Total it.', files: { 'a/b.sh': 'x' } });
      await h.kernel.skills.load(shelf);
    },
    verify: ({ subject }) => {
      expect(subject.value).toEqual({
        name: 'csv-report',
        description: 'Totals a CSV column.',
        body: 'Total it.',
        files: ['a/b.sh'],
        files_more: 0,
      });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'name', kind: 'value' },
      { args: { name: 7 }, field: 'name', kind: 'type' },
      { args: { name: 'csv-report', mode: 'r' }, field: 'mode', kind: 'unknown' },
    ],
  },
  // Any process may ask; a skill its capabilities (skill:<glob>) do not cover answers ENOENT as a missing one does.
  eperm: null,
} satisfies SyscallCases;
