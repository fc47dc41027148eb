/** MCP_LIST's cases (happy, EINVAL, EPERM) for the syscall table runner, ../table.test.ts. */
import { expect } from 'vitest';
import { ALL_CAPS, call, EXIT } from '../../helpers/kernel-harness.js';
import { ok, type SyscallCases } from './shared.js';

export default {
  happy: {
    caps: [...ALL_CAPS, 'mcp:everything/echo'],
    root: [call('MCP_LIST', {}), { expect: [ok('MCP_LIST'), '"name":"echo"'], reply: EXIT }],
    verify: ({ subject }) => {
      const tools = (subject.value as { tools: Array<{ server: string; name: string }> }).tools;
      expect(tools.map((t) => `${t.server}/${t.name}`)).toEqual(['everything/echo']);
    },
  },
  einval: {
    calls: [
      { args: { server: 5 }, field: 'server', kind: 'type' },
      { args: { server: '' }, field: 'server', kind: 'range' },
      { args: { pid: 1 }, field: 'pid', kind: 'unknown' },
    ],
  },
  // It lists only the tools the caller's mcp: capabilities cover (none without one): anyone may.
  eperm: null,
} satisfies SyscallCases;
