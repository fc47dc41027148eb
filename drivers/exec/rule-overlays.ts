/**
 * The fs rules' protections as bwrap mounts over a sandbox's views of the workspace, applied after
 * every other mount (bwrap mounts in order, and a later mount covers what was below it): a hidden
 * directory is an empty mode-000 tmpfs, remounted read-only; a hidden file the empty mode-000 file
 * bound read-only; a read-only path its own read-only bind, and a directory whose names alone are
 * held is bound read-only with each name it keeps bound again writable. Parents go first; nothing is
 * mounted under a hidden path or again under a read-only one. Each protected path is a mount point, so it
 * cannot be removed or renamed (EBUSY), and a hard link out of it fails (EXDEV); each directory
 * between it and its view's root that the command may write is bound onto itself, so that renaming
 * a parent (`mv a b` with `/a/src` held) cannot carry it away from the rule's path either.
 */
import path from 'node:path';
import type { BindSources } from './bind-sources.js';
import type { Protection, WorkspaceView } from './rule-protections.js';

type Op = 'bind' | 'read-only' | 'hide-dir' | 'hide-file';

export interface Overlay {
  /** The sandbox path. */
  at: string;
  /** The workspace path bound there (a hidden one binds nothing of it). */
  path: string;
  op: Op;
}

function under(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length);
const joinAt = (at: string, rel: string): string => (rel === '' ? at : path.posix.join(at, rel));

type Candidate = Overlay & { view: WorkspaceView; keep?: string[] };

/** What a protection asks of one view: an overlay at the view's own path for it, or none. */
function candidate(view: WorkspaceView, p: Protection): Candidate | null {
  if (p.effect === 'read-only' && !view.writable) return null;
  if (under(p.path, view.path)) {
    const at = joinAt(view.at, path.posix.relative(view.path, p.path));
    const op: Op = p.effect === 'read-only' ? 'read-only' : p.dir ? 'hide-dir' : 'hide-file';
    return { at, path: p.path, op, view, ...(p.keep ? { keep: p.keep } : {}) };
  }
  // The view lies inside the protected path: all of it is held.
  if (under(view.path, p.path))
    return {
      at: view.at,
      path: view.path,
      op: p.effect === 'read-only' ? 'read-only' : view.dir ? 'hide-dir' : 'hide-file',
      view,
    };
  return null;
}

/** Of two asks at one place, the one that holds more: hidden over read-only, all read-only over names kept. */
function stronger(a: Candidate, b: Candidate): Candidate {
  if (a.op !== 'read-only') return a;
  if (b.op !== 'read-only') return b;
  return a.keep === undefined
    ? a
    : b.keep === undefined
      ? b
      : { ...a, keep: a.keep.filter((name) => b.keep?.includes(name)) };
}

/** The overlays, in the order bwrap must apply them. */
export function planOverlays(views: readonly WorkspaceView[], protections: readonly Protection[]): Overlay[] {
  const wanted = new Map<string, Candidate>();
  for (const view of views) {
    for (const p of protections) {
      const c = candidate(view, p);
      if (c) wanted.set(c.at, wanted.has(c.at) ? stronger(wanted.get(c.at) as Candidate, c) : c);
    }
  }
  const placed: Array<Overlay & { view: WorkspaceView }> = [];
  // What a path is once the overlays placed so far apply: the deepest one over it decides.
  const stateAt = (at: string, view: WorkspaceView): 'hidden' | 'read-only' | 'writable' => {
    let deepest: Overlay | null = null;
    for (const o of placed) if (under(at, o.at) && (deepest === null || depth(o.at) > depth(deepest.at))) deepest = o;
    if (deepest === null) return view.writable ? 'writable' : 'read-only';
    return deepest.op === 'bind' ? 'writable' : deepest.op === 'read-only' ? 'read-only' : 'hidden';
  };
  const byDepth = (a: Overlay, b: Overlay): number => depth(a.at) - depth(b.at) || a.at.localeCompare(b.at);
  for (const c of [...wanted.values()].sort(byDepth)) {
    const state = stateAt(c.at, c.view);
    if (state === 'hidden' || (state === 'read-only' && c.op === 'read-only')) continue;
    placed.push({ at: c.at, path: c.path, op: c.op, view: c.view });
    // Names kept writable are bound again onto themselves, after the directory and before anything deeper.
    for (const name of c.keep ?? [])
      placed.push({ at: path.posix.join(c.at, name), path: path.posix.join(c.path, name), op: 'bind', view: c.view });
  }
  // Each writable directory between a view's root and a protected path becomes a mount point (so it cannot be renamed).
  const binds: Array<Overlay & { view: WorkspaceView }> = [];
  for (const o of placed.filter((x) => x.op !== 'bind')) {
    const rel = path.posix.relative(o.view.at, o.at).split('/').filter(Boolean);
    for (let i = o.view.mounted ? 1 : 0; i < rel.length; i++) {
      const at = joinAt(o.view.at, rel.slice(0, i).join('/'));
      if (placed.some((x) => x.at === at) || binds.some((x) => x.at === at) || stateAt(at, o.view) !== 'writable')
        continue;
      binds.push({ at, path: path.posix.join(o.view.path, rel.slice(0, i).join('/')), op: 'bind', view: o.view });
    }
  }
  // A name bound again that a protection of its own then covers needs no bind of its own.
  const covered = new Set(placed.filter((x) => x.op !== 'bind').map((x) => x.at));
  return [...placed.filter((x) => x.op !== 'bind' || !covered.has(x.at)), ...binds]
    .sort(byDepth)
    .map(({ at, path: p, op }) => ({ at, path: p, op }));
}

/**
 * bwrap options for the overlays; `emptyFile` is the host's empty mode-000 file (hidden-file.ts).
 * Workspace paths are bound by descriptor (bind-sources.ts): a directory swapped for a symlink
 * while the sandbox is built cannot bring another directory in.
 */
export function overlayArgs(
  workspace: string,
  overlays: readonly Overlay[],
  emptyFile: string | null,
  sources: BindSources,
): string[] {
  const hostOf = (p: string): string => (p === '/' ? workspace : path.join(workspace, p));
  return overlays.flatMap((o) => {
    switch (o.op) {
      case 'bind':
        return sources.bind(hostOf(o.path), o.at, true);
      case 'read-only':
        return sources.bind(hostOf(o.path), o.at, false);
      case 'hide-dir':
        return ['--perms', '0000', '--size', '4096', '--tmpfs', o.at, '--remount-ro', o.at];
      case 'hide-file':
        if (emptyFile === null) throw new Error('a hidden file needs the empty mode-000 file');
        return ['--ro-bind', emptyFile, o.at];
    }
  });
}
