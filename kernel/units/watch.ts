/**
 * A unit's `watch` triggers on the workspace: chokidar (4.x, pure JS over fs.watch, which is
 * inotify on Linux; 5–6 need Node 22) watches the fixed part of each glob; a change under it that
 * matches the glob and is an event the trigger counts is gathered, and `debounce` after the last
 * one the trigger fires once with every path gathered. Symlinks are not followed: nothing outside
 * the workspace is watched through one. A write's aside file is passed over (drivers/fs/virtual-path.ts isAsideName).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { isAsideName } from '../../drivers/fs/virtual-path.js';
import type { Clock } from '../../sys/clock.js';
import type { Trigger, WatchEvent } from './trigger-spec.js';

type Watch = Extract<Trigger, { kind: 'watch' }>;

export interface Gathered {
  /** Workspace paths ('/'-prefixed), sorted, each once. */
  paths: string[];
  events: WatchEvent[];
  /** When the first change of this batch came (ms). */
  since: number;
  /** When each path last changed (ms): a command of a run that ran then may have made it (own-writes.ts). */
  changedAt: ReadonlyMap<string, number>;
}

const EVENT_OF: Record<string, WatchEvent | undefined> = { add: 'create', change: 'modify', unlink: 'delete' };

/** The directory a glob's fixed part names: `/inbox/**` → `/inbox`, `/notes/*.md` → `/notes`, `/a.txt` → `/a.txt`. */
export function fixedPart(glob: string): string {
  const wild = glob.search(/[*?]/);
  if (wild === -1) return glob;
  const cut = glob.slice(0, wild);
  return cut.slice(0, cut.lastIndexOf('/')) || '/';
}

export class TriggerWatch {
  private watcher: FSWatcher | null = null;
  private paths = new Map<string, WatchEvent>();
  private changedAt = new Map<string, number>();
  private since = 0;
  private cancel: (() => void) | null = null;
  /** Resolves once the watcher has read what it watches: a change from then on is seen. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly root: string,
    private readonly trigger: Watch,
    private readonly clock: Clock,
    private readonly fire: (gathered: Gathered) => void,
  ) {}

  start(): void {
    // A directory not made yet is watched from the nearest one there is (the glob still decides).
    const nearest = (dir: string): string =>
      existsSync(dir) || dir === this.root || !dir.startsWith(this.root) ? dir : nearest(path.dirname(dir));
    const dirs = [...new Set(this.trigger.paths.map((p) => nearest(path.join(this.root, fixedPart(p)))))];
    // A write's aside file is not a change (file-io.ts): its delete would fire as no one's.
    const ignored = (file: string): boolean => isAsideName(path.basename(file));
    const watcher = watch(dirs, { ignoreInitial: true, followSymlinks: false, persistent: true, ignored });
    this.watcher = watcher;
    this.ready = new Promise((resolve) => {
      watcher.once('ready', () => resolve());
      watcher.once('error', () => resolve());
    });
    watcher.on('all', (event, file) => this.onChange(event, file));
    // A watch that cannot be set up (too many watches, a directory gone) must not stop the kernel.
    watcher.on('error', () => undefined);
  }

  close(): void {
    this.cancel?.();
    this.cancel = null;
    const watcher = this.watcher;
    this.watcher = null;
    void watcher?.close();
  }

  private onChange(event: string, file: string): void {
    const kind = EVENT_OF[event];
    if (kind === undefined || !this.trigger.events.has(kind)) return;
    const relative = path.relative(this.root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return;
    const vpath = `/${relative.split(path.sep).join('/')}`;
    if (!this.trigger.patterns.some((p) => p.test(vpath))) return;
    if (this.paths.size === 0) this.since = this.clock.now();
    this.paths.set(vpath, kind);
    this.changedAt.set(vpath, this.clock.now());
    this.cancel?.();
    this.cancel = this.clock.setTimer(this.trigger.debounceMs, () => this.flush());
  }

  private flush(): void {
    this.cancel = null;
    if (this.paths.size === 0) return;
    const paths = [...this.paths.keys()].sort();
    const events = [...new Set(this.paths.values())].sort();
    const { since, changedAt } = this;
    this.paths = new Map();
    this.changedAt = new Map();
    this.fire({ paths, events, since, changedAt });
  }
}
