/**
 * SPAWN_AGENT's permissions: capabilities (`fs.read:/data/**`), or — the seed's dialect — syscall
 * names standing for the capability each call needs (`["FS_READ", "SYS_WRITE_STDOUT"]`). A call
 * whose capability takes a subject (a path, a host) stands for the parent's capabilities of that
 * kind; a call every process may make stands for none. The spawn intersects the result with the
 * parent's set as always: a name never grants more than the parent holds.
 */
import { AosError } from '../../sys/errno.js';
import { findSyscall } from '../../syscalls/table.js';

/** Syscall names are upper case; capability kinds lower case, so the two never collide. */
const SYSCALL_NAME = /^[A-Z][A-Z0-9_]*$/;

export function capabilitiesOf(permissions: readonly string[], held: readonly string[]): string[] {
  const out: string[] = [];
  for (const permission of permissions) {
    if (SYSCALL_NAME.test(permission)) out.push(...neededBy(permission, held));
    else out.push(permission);
  }
  return [...new Set(out)];
}

function neededBy(name: string, held: readonly string[]): string[] {
  const def = findSyscall(name);
  if (!def) {
    throw new AosError(
      'EINVAL',
      `unknown permission "${name}": neither a syscall name (e.g. FS_READ) nor a capability (e.g. fs.read:/**)`,
    );
  }
  const capability = def.capability;
  if (capability === null) return [];
  if (typeof capability === 'string') return [capability];
  const kind = capability.kind;
  if (kind === undefined)
    throw new AosError(
      'EINVAL',
      `permission "${name}": give the capability ${def.name} needs (${capability.label}) instead`,
    );
  return held.filter((c) => c === kind || c.startsWith(`${kind}:`));
}
