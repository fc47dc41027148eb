/** SYS_WEBHOOK_REPLY's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

/** Responses to the requests the happy case sends to its own webhook. */
const webhookResponses: Array<Promise<Response>> = [];

export default {
  happy: {
    caps: [...ALL_CAPS, 'webhook'],
    setup: async (harness) => {
      harness.kernel.events.subscribe((e) => {
        if (e.type === 'result' && e.name === 'SYS_REGISTER_WEBHOOK' && e.ok) {
          webhookResponses.push(fetch((e.value as { url: string }).url, { method: 'POST', body: 'ping' }));
        }
      });
    },
    root: [
      call('SYS_REGISTER_WEBHOOK', { path: 'ping' }),
      call('RECV_MSG', { timeout_s: 5 }),
      {
        expect: ['[EVENT::WEBHOOK]', '"request_id":"w1"', '"body":"ping"'],
        reply: call('SYS_WEBHOOK_REPLY', { request_id: 'w1', status: 202, body: 'pong' }),
      },
      { expect: ok('SYS_WEBHOOK_REPLY'), reply: EXIT },
    ],
    verify: async ({ subject }) => {
      expect(subject.value).toEqual({ ok: true });
      const res = await webhookResponses[0];
      expect(res?.status).toBe(202);
      expect(await res?.text()).toBe('pong');
    },
  },
  einval: {
    calls: [
      { args: { request_id: 1 }, field: 'request_id', kind: 'type' },
      { args: { request_id: 'w1', status: 99 }, field: 'status', kind: 'range' },
      { args: { request_id: 'w1', body: 5 }, field: 'body', kind: 'type' },
      { args: { request_id: 'w1', headers: {} }, field: 'headers', kind: 'unknown' },
    ],
  },
  eperm: {
    needs: 'webhook',
    root: [call('SYS_WEBHOOK_REPLY', { request_id: 'w1' }), { expect: '"errno":"EPERM"', reply: EXIT }],
    verify: ({ subject }) => {
      expect(subject.value).toBeUndefined();
    },
  },
} satisfies SyscallCases;
