/** SPAWN_AGENT permissions in the seed's dialect: syscall names stand for the capabilities the calls need. */
import { describe, expect, it } from 'vitest';
import { CapabilitySet } from '../../../sys/capabilities.js';
import { capabilitiesOf } from '../../../kernel/proc/permissions.js';
import { SYSCALLS } from '../../../syscalls/table.js';

const PARENT = [
  'fs.read:/pub/**',
  'fs.read:/data/**',
  'fs.write:/out/**',
  'exec',
  'ipc',
  'mem',
  'mem.shared',
  'net.fetch:*.example.org',
  'spawn',
  'model:replay:*',
];

describe('capabilitiesOf', () => {
  it.each([
    [['FS_READ'], ['fs.read:/pub/**', 'fs.read:/data/**']],
    [
      ['FS_LIST', 'FS_WRITE'],
      ['fs.read:/pub/**', 'fs.read:/data/**', 'fs.write:/out/**'],
    ],
    [
      ['EXEC_CMD', 'SEND_MSG', 'RECV_MSG'],
      ['exec', 'ipc'],
    ],
    [['NET_FETCH'], ['net.fetch:*.example.org']],
    [['MEM_READ', 'MEM_WRITE'], ['mem']],
    [['SYS_WRITE_STDOUT', 'SYS_READ_STDIN', 'WAIT', 'SLEEP', 'SYS_EXIT'], []],
    [
      ['EXEC', 'SPAWN'],
      ['exec', 'spawn'],
    ],
    [
      ['SYS_SCHEDULE', 'SYS_REGISTER_WEBHOOK'],
      ['timer', 'webhook'],
    ],
  ])('%j -> %j', (permissions, expected) => {
    expect(capabilitiesOf(permissions, PARENT)).toEqual(expected);
  });

  it('passes capabilities through untouched, mixed with names, without duplicates', () => {
    expect(capabilitiesOf(['fs.read:/pub/a/**', 'SEND_MSG', 'ipc', 'mem.shared'], PARENT)).toEqual([
      'fs.read:/pub/a/**',
      'ipc',
      'mem.shared',
    ]);
    expect(capabilitiesOf(['root'], PARENT)).toEqual(['root']);
  });

  it('a name never grants what the parent lacks: the spawn still intersects', () => {
    const parent = new CapabilitySet(['fs.read:/**', 'ipc']);
    const asked = capabilitiesOf(['FS_READ', 'FS_WRITE', 'EXEC_CMD', 'SEND_MSG'], parent.list);
    expect(asked).toEqual(['fs.read:/**', 'exec', 'ipc']);
    expect(parent.intersect(asked).list).toEqual(['fs.read:/**', 'ipc']);
  });

  it('an unknown upper-case name is EINVAL naming it', () => {
    expect(() => capabilitiesOf(['FS_READ', 'ROOT_ACCESS'], PARENT)).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringContaining('"ROOT_ACCESS"') }),
    );
  });

  it('every syscall in the table can be named as a permission', () => {
    for (const def of SYSCALLS) expect(() => capabilitiesOf([def.name], PARENT), def.name).not.toThrow();
  });
});
