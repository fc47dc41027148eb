/** MEM_READ's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { treeNamespace } from '../../../drivers/memory/index.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { chromaState, memoryOf, ok, type SyscallCases } from './shared.js';

interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

export default {
  happy: {
    setup: async (harness) => {
      await memoryOf(harness).write(treeNamespace(1), [
        { text: 'Alice prefers green tea in the morning', metadata: { topic: 'people' } },
        { text: 'The CI build fails when a semicolon is missing in parser.ts', metadata: { topic: 'ci' } },
        { text: 'Deploys happen on Fridays after the release review', metadata: { topic: 'ops' } },
        { text: 'Bob drinks tea, never coffee', metadata: { topic: 'people' } },
      ]);
    },
    root: [
      [
        call('MEM_READ', { query: 'why does the CI build fail?', k: 2 }),
        call('MEM_READ', { q: 'tea', where: { topic: 'people' } }),
      ].join('\n'),
      { expect: [ok('MEM_READ'), 'semicolon'], reply: EXIT },
    ],
    verify: ({ results }) => {
      const first = (results[0]?.value as { hits: Hit[] }).hits;
      expect(first).toHaveLength(2);
      expect(first[0]).toMatchObject({
        text: 'The CI build fails when a semicolon is missing in parser.ts',
        metadata: { topic: 'ci' },
      });
      expect(first[0]?.id).toMatch(/^m-/);
      for (const hit of first) expect(hit.score).toBeGreaterThanOrEqual(0);
      expect(first[0]?.score).toBeLessThanOrEqual(1);
      expect(first[0]?.score).toBeGreaterThan(first[1]?.score ?? 1);
      const second = (results[1]?.value as { hits: Hit[] }).hits;
      expect(second.map((hit) => hit.metadata.topic)).toEqual(['people', 'people']);
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'query', kind: 'missing' },
      { args: { query: 5 }, field: 'query', kind: 'type' },
      { args: { query: 'x', k: 0 }, field: 'k', kind: 'range' },
      { args: { query: 'x', k: 51 }, field: 'k', kind: 'range' },
      { args: { query: 'x', k: 'five' }, field: 'k', kind: 'type' },
      { args: { query: 'x', where: { topic: { $regex: 'a' } } }, field: 'where.topic.$regex', kind: 'value' },
      { args: { query: 'x', where: { prio: { $gt: 'high' } } }, field: 'where.prio.$gt', kind: 'value' },
      { args: { query: 'x', where: { $or: {} } }, field: 'where.$or', kind: 'value' },
      // No argument names another tree's memory.
      { args: { query: 'x', namespace: 'aos-tree-2' }, field: 'namespace', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(chromaState(harness)).toBe('idle');
    },
  },
  eperm: {
    needs: 'mem.shared',
    caps: ['mem'],
    root: [call('MEM_READ', { query: 'the global memory', shared: true }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness, subject }) => {
      expect(subject.value).toBeUndefined();
      expect(chromaState(harness)).toBe('idle');
    },
  },
} satisfies SyscallCases;
