/** MCP_CALL's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    caps: [...ALL_CAPS, 'mcp:everything/echo'],
    root: [
      call('MCP_CALL', { server: 'everything', tool: 'echo', arguments: { message: 'hi' } }),
      { expect: [ok('MCP_CALL'), 'Echo: hi'], reply: EXIT },
    ],
    verify: ({ subject }) => {
      expect(subject.value).toEqual({ truncated: false, content: [{ type: 'text', text: 'Echo: hi' }] });
    },
  },
  einval: {
    calls: [
      { args: { tool: 'echo' }, field: 'server', kind: 'missing' },
      { args: { server: 5, tool: 'echo' }, field: 'server', kind: 'type' },
      { args: { server: 'everything', tool: 'echo', arguments: 'hi' }, field: 'arguments', kind: 'type' },
      { args: { server: 'everything', tool: 'echo', timeout_s: 0 }, field: 'timeout_s', kind: 'range' },
      { args: { server: 'everything', tool: 'echo', env: {} }, field: 'env', kind: 'unknown' },
    ],
    nothingHappened: ({ h: harness }) => {
      expect(harness.kernel.opened.mcp?.servers.get('everything').state).toBe('stopped');
    },
  },
  eperm: {
    needs: 'mcp:everything/get-sum',
    caps: [...ALL_CAPS, 'mcp:other/*'],
    root: [
      call('MCP_CALL', { server: 'everything', tool: 'get-sum', arguments: { a: 1, b: 2 } }),
      { expect: '"errno":"EPERM"', reply: EXIT },
    ],
    verify: ({ h: harness }) => {
      expect(harness.kernel.opened.mcp?.servers.get('everything').state).toBe('stopped');
    },
  },
} satisfies SyscallCases;
