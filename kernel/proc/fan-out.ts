/**
 * Work control for children (issue 32): the same SPAWN_AGENT twice gives one child, and a tree
 * cannot fan out without bound. A child's signature is what makes it the same work — its parent,
 * role, task, model, permissions, pipe_to, limits, working directory and unit, whitespace
 * normalised — and a live child with the same one is returned instead of a new one (never a fuzzy
 * match: every difference is other work). `max_children` caps a process's live children;
 * `max_live_descendants` its live descendants at any depth: past either, EAGAIN naming the cap.
 */
import { hash } from 'node:crypto';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { isEnded, type Pcb } from '../../sys/types.js';
import type { SpawnRequest } from '../../syscalls/services.js';
import type { ProcCore } from './api.js';
import type { Proc } from './proc.js';

const normal = (text: string | undefined): string => (text ?? '').replace(/\s+/g, ' ').trim();

/** What makes two SPAWN_AGENTs of one parent the same work, as a hash. */
export function spawnSignature(parent: number, request: SpawnRequest): string {
  const fields = [
    parent,
    normal(request.role),
    normal(request.task),
    normal(request.model),
    [...(request.capabilities ?? [])].map(normal).sort(),
    request.pipeTo ?? null,
    request.maxTurns ?? null,
    request.maxTokens ?? null,
    request.maxCost ?? null,
    request.maxWallS ?? null,
    request.maxChildren ?? null,
    request.maxLiveDescendants ?? null,
    normal(request.workdir),
    request.unit ?? null,
    // Another thread attached is other work (an older signature had none: it still matches without one).
    ...(request.attach?.length ? [[...request.attach].sort()] : []),
  ];
  return hash('sha256', JSON.stringify(fields), 'base64url').slice(0, 22);
}

/** A live child of `parent` spawned with this signature, if there is one. */
export function liveTwin(k: ProcCore, parent: Proc, signature: string): Pcb | null {
  for (const pid of parent.children) {
    const child = k.table.get(pid);
    if (child && !isEnded(child.pcb.state) && !child.killRequested && child.pcb.spawnKey === signature)
      return child.pcb;
  }
  return null;
}

/** Live processes below `proc`, at any depth. */
export function liveDescendants(k: Pick<ProcCore, 'table'>, proc: Proc): number {
  let count = 0;
  const stack = [...proc.children];
  while (stack.length > 0) {
    const child = k.table.get(stack.pop() as number);
    if (!child || isEnded(child.pcb.state)) continue;
    count++;
    stack.push(...child.children);
  }
  return count;
}

/** EAGAIN when one more child of `parent` would pass its max_children, or an ancestor's max_live_descendants. */
export function checkFanOut(k: ProcCore, parent: Proc): void {
  let live = 0;
  for (const pid of parent.children) if (k.table.has(pid) && !isEnded(k.table.get(pid)?.pcb.state ?? 'exited')) live++;
  const maxChildren = parent.pcb.limits.maxChildren ?? param.maxChildren;
  if (live >= maxChildren)
    throw new AosError(
      'EAGAIN',
      `max_children ${maxChildren} reached: process ${parent.pid} has ${live} live children; WAIT for one first`,
    );
  for (let at: Proc | undefined = parent; at; at = at.pcb.ppid ? k.table.get(at.pcb.ppid) : undefined) {
    const cap = at.pcb.limits.maxLiveDescendants;
    if (cap === null || cap === undefined) continue;
    const below = liveDescendants(k, at);
    if (below >= cap) {
      const whose = at === parent ? `process ${at.pid} (you)` : `process ${at.pid}, an ancestor,`;
      throw new AosError(
        'EAGAIN',
        `max_live_descendants ${cap} reached: ${whose} has ${below} live descendants; WAIT for one first`,
      );
    }
  }
}
