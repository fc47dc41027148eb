/** NET_FETCH's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { fetchHits, ok, type SyscallCases, webUrl } from './shared.js';

export default {
  happy: {
    caps: [...ALL_CAPS, 'net.fetch:127.0.0.1'],
    root: [
      call('NET_FETCH', { url: `${webUrl}/page` }),
      { expect: [ok('NET_FETCH'), 'hello from /page'], reply: EXIT },
    ],
    verify: ({ subject }) => {
      expect(subject.value).toMatchObject({
        status: 200,
        body: 'hello from /page',
        truncated: false,
        content_type: 'text/plain',
      });
    },
  },
  einval: {
    calls: [
      { args: {}, field: 'url', kind: 'missing' },
      { args: { url: 42 }, field: 'url', kind: 'type' },
      { args: { url: 'http://x', headers: { a: 1 } }, field: 'headers.a', kind: 'type' },
      { args: { url: 'http://x', method: 'POST' }, field: 'method', kind: 'unknown' },
    ],
  },
  eperm: {
    needs: 'net.fetch:127.0.0.1',
    caps: [...ALL_CAPS, 'net.fetch:*.example.org'],
    root: [call('NET_FETCH', { url: `${webUrl}/secret` }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: () => {
      expect(fetchHits).toBe(1);
    },
  },
} satisfies SyscallCases;
