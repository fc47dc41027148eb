/**
 * Each process's drivers, scoped on its first syscall and kept for its life: the kernel opens the
 * driver table once; a process sees it through its own capabilities and kill signal.
 */
import { type OpenedDrivers, type ScopedDrivers, scopeDrivers } from '../../drivers/index.js';
import type { Proc } from './proc.js';

export class ProcDrivers {
  // Weak: a process that ended and left the table takes its drivers with it.
  private readonly scoped = new WeakMap<Proc, ScopedDrivers>();

  constructor(private readonly opened: OpenedDrivers) {}

  of(proc: Proc): ScopedDrivers {
    let drivers = this.scoped.get(proc);
    if (!drivers) {
      drivers = scopeDrivers(this.opened, {
        pid: proc.pid,
        tree: proc.tree,
        signal: proc.abort.signal,
        allows: (required) => proc.caps.allows(required),
        caps: proc.caps.list,
        cwd: proc.pcb.cwd,
      });
      this.scoped.set(proc, drivers);
    }
    return drivers;
  }
}
