/**
 * A process's ancestors, its parent first, ending with its tree's root: budgets on a unit or a name
 * cover their subtrees, and a tree budget matches the root's name. A link the table no longer has
 * (removed with aos rm) ends the walk; the root is then looked up by the tree's pid.
 */
import type { Pcb } from '../../sys/types.js';
import type { Proc } from './proc.js';

export interface Ancestor {
  pid: number;
  name: string;
  unit: string | null;
}

export function lineageOf(proc: Proc, pcbOf: (pid: number) => Pcb | undefined): Ancestor[] {
  const out: Ancestor[] = [];
  const seen = new Set<number>([proc.pid]);
  for (let pid = proc.pcb.ppid; pid > 0 && !seen.has(pid);) {
    seen.add(pid);
    const pcb = pcbOf(pid);
    if (!pcb) break;
    out.push({ pid, name: pcb.name, unit: pcb.unit });
    pid = pcb.ppid;
  }
  const root = proc.tree === proc.pid || seen.has(proc.tree) ? undefined : pcbOf(proc.tree);
  if (root) out.push({ pid: root.pid, name: root.name, unit: root.unit });
  return out;
}
