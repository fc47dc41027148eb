/** HISTORY_SEARCH's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    root: [
      call('FS_WRITE', { path: 'n.txt', content: 'the okapi sighting' }) + '\n' + call('FS_READ', { path: 'n.txt' }),
      call('HISTORY_SEARCH', { query: 'okapi sighting', limit: 5 }),
      { expect: ok('HISTORY_SEARCH'), reply: EXIT },
    ],
    verify: ({ pcb, subject }) => {
      const value = subject.value as { hits: Array<Record<string, unknown>>; searched: unknown };
      // The newest first: the result that holds the words (its excerpt and the call that reads it whole), then the reply that wrote them.
      expect(value.hits).toEqual([
        expect.objectContaining({
          kind: 'result',
          pid: pcb.pid,
          turn: 0,
          seq: 1,
          name: 'FS_READ',
          excerpt: expect.stringContaining('the okapi sighting'),
          read: { SYS_RESULT_READ: { turn: 0, seq: 1 } },
        }),
        expect.objectContaining({ kind: 'reply', pid: pcb.pid, turn: 0 }),
      ]);
      expect(value.searched).toEqual({ events: true, threads: [] });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'query', kind: 'missing' },
      { args: { query: 3 }, field: 'query', kind: 'type' },
      { args: { query: 'x', limit: 0 }, field: 'limit', kind: 'range' },
      { args: { query: 'x', pid: 0 }, field: 'pid', kind: 'range' },
      { args: { query: 'x', tree: 2 }, field: 'tree', kind: 'unknown' },
    ],
  },
  // Any process may search: only its own tree's past, which no argument leaves.
  eperm: null,
} satisfies SyscallCases;
