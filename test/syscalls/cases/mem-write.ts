/** MEM_WRITE's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { idForKey, treeNamespace } from '../../../drivers/memory/index.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { chromaState, memoryOf, ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      [
        call('MEM_WRITE', {
          text: 'the deploy key is in vault',
          key: 'deploy',
          metadata: { topic: 'ops', prio: 2, urgent: true },
        }),
        call('MEM_WRITE', { value: 'the seed spells text as value' }),
        call('MEM_WRITE', { text: 'the deploy key moved to the HSM', key: 'deploy' }),
      ].join('\n'),
      { expect: [ok('MEM_WRITE'), `"id":"${idForKey('deploy')}"`, '"id":"m-'], reply: EXIT },
    ],
    verify: async ({ h: harness, results }) => {
      expect(results[0]?.value).toEqual({ id: idForKey('deploy') });
      expect(results[1]?.value).toEqual({ id: expect.stringMatching(/^m-[0-9a-f-]{36}$/) });
      // The same key: the same memory, replaced.
      expect(results[2]?.value).toEqual(results[0]?.value);
      const hits = await memoryOf(harness).read(treeNamespace(1), { query: 'deploy key', k: 10 });
      expect(hits.map((hit) => hit.text)).toEqual(['the deploy key moved to the HSM', 'the seed spells text as value']);
      // The store keeps the text's hash (dedup); MEM_READ leaves it out of what the model reads.
      expect(hits[0]?.metadata).toEqual({
        key: 'deploy',
        pid: 1,
        ts: expect.any(String),
        text_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(Number.isNaN(Date.parse(String(hits[0]?.metadata.ts)))).toBe(false);
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'text', kind: 'missing' },
      { args: { text: 5 }, field: 'text', kind: 'type' },
      { args: { text: '' }, field: 'text', kind: 'range' },
      { args: { text: 'x'.repeat(32 * 1024 + 1) }, field: 'text', kind: 'range' },
      { args: { text: 'x', key: '' }, field: 'key', kind: 'range' },
      { args: { text: 'x', metadata: { nested: { a: 1 } } }, field: 'metadata.nested', kind: 'type' },
      { args: { text: 'x', metadata: { tags: ['a', 'b'] } }, field: 'metadata.tags', kind: 'type' },
      // The kernel's own fields cannot be forged.
      { args: { text: 'x', metadata: { pid: 99 } }, field: 'metadata.pid', kind: 'value' },
      { args: { text: 'x', metadata: { $where: 'a' } }, field: 'metadata.$where', kind: 'value' },
      { args: { text: 'x', shared: 'yes' }, field: 'shared', kind: 'type' },
      { args: { text: 'x', ttl: 60 }, field: 'ttl', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(chromaState(harness)).toBe('idle');
    },
  },
  eperm: {
    needs: 'mem',
    caps: ['fs.read:/**'],
    root: [call('MEM_WRITE', { text: 'nope' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ h: harness }) => {
      expect(chromaState(harness)).toBe('idle');
    },
  },
} satisfies SyscallCases;
