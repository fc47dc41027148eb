/**
 * Idempotency keys (Stripe's, for spawns): a request that carries a key starts its process once —
 * the same key with the same arguments answers with that process again (`replayed`), the same key
 * with other arguments is refused naming what differs. Requests racing one key wait for the first;
 * the key is stored with the commit of the process it started, so a retry after a SIGKILL finds it.
 * Keys expire (24 h unless the policy's work.idempotency_ttl says otherwise). Scopes keep callers
 * apart: `root` (the CLI, the protocol, MCP), `pid:<n>` (a process's SPAWN_AGENT), `unit:<name>`
 * (a unit's event ids: a delivery sent twice starts one run).
 */
import { AosError } from '../../sys/errno.js';
import { canonicalJson } from '../../sys/canonical-json.js';
import type { KernelStore } from '../store/api.js';
import type { Pcb } from '../../sys/types.js';
import type { SpawnCore, SpawnOptions } from './spawn-options.js';
import { spawnRoot } from './spawn.js';

interface Entry {
  args: string;
  pid: number | null;
  /** The first request's spawn, while it runs: the racers wait for it. */
  pending: Promise<number> | null;
  created: number;
  expires: number;
}

export interface Keyed {
  pid: number;
  /** The key was seen with these arguments: this is the first answer again. */
  replayed: boolean;
}

const entryKey = (scope: string, key: string): string => `${scope}\u0000${key}`;

/** The first field whose value differs, in words. */
function difference(was: string, now: string): string {
  const a = JSON.parse(was) as Record<string, unknown>;
  const b = JSON.parse(now) as Record<string, unknown>;
  const field = [...new Set([...Object.keys(a), ...Object.keys(b)])].find(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
  if (field === undefined) return 'the arguments differ';
  const show = (v: unknown): string => (v === undefined ? 'none' : JSON.stringify(v).slice(0, 60));
  return `${field} differs (${show(a[field])} then, ${show(b[field])} now)`;
}

/**
 * What a keyed root spawn's key is checked against: its options, but not where it was asked from
 * (cwd, preface); its task and role masked as the process's are (spawn.ts), since they are stored
 * with the key and compared masked with a retry's on any node.
 */
export function keyedSpawnArgs(options: SpawnOptions, mask: (text: string) => string): Record<string, unknown> {
  const { cwd: _cwd, preface: _preface, ...args } = options;
  return {
    ...args,
    task: mask(args.task),
    ...(typeof args.role === 'string' ? { role: mask(args.role) } : {}),
    ...(typeof args.name === 'string' ? { name: mask(args.name) } : {}),
  } as Record<string, unknown>;
}

/** A keyed spawn whose key another node of a cluster holds: EEXIST naming what differs, unless these are the arguments it was used with. */
export function refuseOtherSpawn(
  key: string,
  first: { args: string; created: number },
  options: SpawnOptions,
  mask: (text: string) => string,
): void {
  IdempotencyKeys.refuseOther(key, first, keyedSpawnArgs(options, mask));
}

/** A root spawn with an idempotency key: the same key and arguments answer with the first process (its PCB, `replayed`). */
export async function spawnKeyed(
  k: SpawnCore & { readonly keys: IdempotencyKeys },
  key: string,
  options: SpawnOptions,
): Promise<{ pcb: Pcb; replayed: boolean }> {
  const { pid, replayed } = await k.keys.once(
    'root',
    key,
    keyedSpawnArgs(options, k.maskPrompt),
    async () => (await spawnRoot(k, options)).pid,
  );
  const pcb = k.table.pcb(pid);
  if (!pcb) {
    throw new AosError(
      'ESRCH',
      `idempotency key "${key}" started process ${pid}, which has been removed (aos rm): use a new key to start the work again`,
    );
  }
  return { pcb, replayed };
}

export class IdempotencyKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: KernelStore,
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The keys that have not expired, from the store: at start-up, and (`pids`) the keys of a tree
   * adopted from a dead node, which came with it (kernel/store/pg/moves.ts). A key known here is
   * kept as it is.
   */
  async load(pids?: ReadonlySet<number>): Promise<void> {
    const now = this.now();
    if (!pids) this.store.idempotency.expire(now);
    for (const r of await this.store.idempotency.live(now)) {
      if (pids && (!pids.has(r.pid) || this.entries.has(entryKey(r.scope, r.key)))) continue;
      this.entries.set(entryKey(r.scope, r.key), {
        args: r.args,
        pid: r.pid,
        pending: null,
        created: r.created_at,
        expires: r.expires_at,
      });
    }
  }

  /** The pid a key already answered with in `scope` (no arguments compared), or null. */
  seen(scope: string, key: string): number | null {
    const entry = this.live(scope, key);
    return entry?.pid ?? null;
  }

  private live(scope: string, key: string): Entry | undefined {
    const entry = this.entries.get(entryKey(scope, key));
    if (entry && entry.expires <= this.now()) {
      this.entries.delete(entryKey(scope, key));
      return undefined;
    }
    return entry;
  }

  /**
   * The key's first request (its arguments as stored, when it came) against this one: EEXIST naming
   * what differs, else nothing. Also for a key another node of a cluster holds.
   */
  static refuseOther(key: string, first: { args: string; created: number }, args: Record<string, unknown>): void {
    const text = canonicalJson(args);
    if (first.args === text) return;
    throw new AosError(
      'EEXIST',
      `idempotency key "${key}" was used at ${new Date(first.created).toISOString()} for another request: ${difference(first.args, text)}; use a new key for new work`,
    );
  }

  /** Run `start` once for this key and these arguments; EEXIST for the key with others. */
  async once(
    scope: string,
    key: string,
    args: Record<string, unknown>,
    start: () => number | Promise<number>,
  ): Promise<Keyed> {
    const text = canonicalJson(args);
    const existing = this.live(scope, key);
    if (existing) {
      IdempotencyKeys.refuseOther(key, existing, args);
      const pid = existing.pid ?? (await (existing.pending as Promise<number>));
      return { pid, replayed: true };
    }
    const created = this.now();
    const entry: Entry = { args: text, pid: null, pending: null, created, expires: created + this.ttlMs() };
    this.entries.set(entryKey(scope, key), entry);
    entry.pending = Promise.resolve()
      .then(start)
      .then(
        (pid) => {
          entry.pid = pid;
          entry.pending = null;
          // In the commit of the process it started: the answer and the key are durable together.
          this.store.idempotency.put({ scope, key, args: text, pid, created_at: created, expires_at: entry.expires });
          return pid;
        },
        (error: unknown) => {
          // Nothing started: the key is free for a retry.
          this.entries.delete(entryKey(scope, key));
          throw error;
        },
      );
    return { pid: await entry.pending, replayed: false };
  }

  /** Record that `key` started `pid` in `scope` without arguments to compare (a unit's event id). */
  /** `minTtlMs`: kept at least this long whatever the policy's TTL (a channel's message ids: a day, as platforms retry). */
  remember(scope: string, key: string, pid: number, minTtlMs = 0): void {
    const created = this.now();
    const entry: Entry = {
      args: '{}',
      pid,
      pending: null,
      created,
      expires: created + Math.max(this.ttlMs(), minTtlMs),
    };
    this.entries.set(entryKey(scope, key), entry);
    this.store.idempotency.put({ scope, key, args: entry.args, pid, created_at: created, expires_at: entry.expires });
  }

  /** Forget every key of `scope` (a removed unit's event ids). */
  forget(scope: string): void {
    const prefix = entryKey(scope, '');
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
    this.store.idempotency.forget(scope);
  }
}
