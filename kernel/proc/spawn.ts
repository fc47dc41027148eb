/**
 * Spawn: a root process from the CLI, a child from SPAWN_AGENT. A child holds the intersection of
 * its parent's capabilities and what it asks for, no looser budgets and no higher priority, and
 * its parent's model unless the parent may choose another (model-choice.ts). A root's model is
 * the caller's or the kernel's default (root-model.ts). What a spawn is asked, and the kernel it
 * needs, are spawn-options.ts's.
 */
import type { ModelDriver } from '../../drivers/llm/types.js';
import type { SpawnRequest } from '../../syscalls/services.js';
import { AosError } from '../../sys/errno.js';
import { contextBudget } from '../context/context-budget.js';
import { turnSlot } from '../../sys/turn-gate.js';
import { taskMessage } from '../context/context.js';
import { param } from '../../sys/param.js';
import { emptyCounters, isEnded, type Pcb } from '../../sys/types.js';
import type { Entry } from './proc-types.js';
import type { SpawnCore, SpawnOptions } from './spawn-options.js';
import { armWallTimer, tighter } from './budgets.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import { enqueue } from './lifecycle.js';
import { chooseChildModel } from './model-choice.js';
import { capabilitiesOf } from './permissions.js';
import { Proc } from './proc.js';
import { rootLadder, rootModel } from './root-model.js';
import { checkFanOut } from './fan-out.js';
import { isLadder, ladderModel, rungsOf } from '../../sys/ladder.js';
import { resolveModel } from '../../drivers/llm/model-name.js';
import { checkRoleFits, roleLabel } from '../context/role.js';
import { persist } from './proc-runtime.js';
import { seqAfter, TurnSeed } from './turn-part.js';
import { toVirtualPathFrom } from '../../drivers/fs/virtual-path.js';
import { checkThreadKey } from '../../sys/thread-key.js';
import { liveTarget } from '../ipc/mailboxes.js';

type Request = SpawnOptions & { model: string; role: string; name: string; pipeTo?: number | null };

/** The working directory a new process starts in: EINVAL or EACCES for one that is malformed or leads out. */
export function workdirOf(parentCwd: string, workdir: string | undefined): string {
  if (workdir === undefined) return parentCwd;
  try {
    return toVirtualPathFrom(parentCwd, workdir, param.fsMaxPathLength);
  } catch (error) {
    if (error instanceof AosError) throw new AosError(error.code, `workdir: ${error.message}`);
    throw error;
  }
}

/** Start a root process (the CLI's `aos spawn`). */
export async function spawnRoot(k: SpawnCore, options: SpawnOptions): Promise<Pcb> {
  // A root that attaches a thread asked for it by name: it is given thread:<key> (within the policy's root capabilities).
  const attach = attachedKeys(options.attach);
  const caps = options.capabilities
    ? k.rootCaps.intersect([...options.capabilities, ...attach.map(threadCapability)])
    : k.rootCaps;
  const cwd = options.cwd ?? k.cwd;
  const model = rootLadder(k, options.model, options.ladder, cwd) ?? rootModel(k, options.model, cwd);
  // A root that gives no caps on its fan-out has the policy's (work.max_children, work.max_live_descendants).
  const work = {
    maxChildren: options.maxChildren ?? k.work?.maxChildren,
    maxLiveDescendants: options.maxLiveDescendants ?? k.work?.maxLiveDescendants,
  };
  return create(
    k,
    null,
    { ...options, ...work, role: options.role ?? 'assistant', name: options.name ?? 'root', model },
    caps,
  );
}

/** SPAWN_AGENT. Synchronous when the child runs on its parent's model and that model is loaded. */
export function spawnChild(
  k: SpawnCore,
  parent: Proc,
  request: SpawnRequest & { spawnKey?: string },
): Pcb | Promise<Pcb> {
  checkFanOut(k, parent);
  const attach = attachedKeys(request.attach);
  const asked = request.capabilities ? capabilitiesOf(request.capabilities, parent.caps.list) : parent.caps.list;
  const caps = parent.caps.intersect([...asked, ...attach.map(threadCapability)]);
  const priority = Math.min(request.priority ?? parent.pcb.priority, parent.pcb.priority);
  const make = (model: string): Pcb | Promise<Pcb> =>
    create(k, parent, { ...request, name: request.name ?? roleLabel(request.role), model, priority }, caps);
  if (!request.model || request.model === parent.pcb.model || request.model === 'auto') return make(parent.pcb.model);
  // On a ladder, a rung of it: the child's ladder ends there (it never reaches above its parent's).
  const rung = isLadder(parent.pcb.model) ? rungsOf(parent.pcb.model).indexOf(resolveModel(request.model)) : -1;
  if (rung >= 0) return make(ladderModel(rungsOf(parent.pcb.model).slice(0, rung + 1)));
  return chooseChildModel({ model: parent.pcb.model, caps: parent.caps }, request.model, k).then(make);
}

function create(k: SpawnCore, parent: Proc | null, given: Request, caps: CapabilitySet): Pcb | Promise<Pcb> {
  if (k.closing) throw new AosError('EAGAIN', 'the kernel is shutting down');
  // A name is a tape's agent key (aos record): the one a YAML map cannot hold is refused.
  if (given.name === '__proto__')
    throw new AosError('EINVAL', 'a process may not be named __proto__ (a replay tape could not name it)');
  // A task, role or name may hold a secret's value (an operator's, a webhook's, a unit's text, a
  // parent's SPAWN_AGENT): masked as the prompt is, so that the model, the store and `aos ps` never
  // hold it; calls name {{secret:…}}. A replay tape names such a process as masked.
  const req = {
    ...given,
    name: k.maskPrompt(given.name),
    task: k.maskPrompt(given.task),
    role: k.maskPrompt(given.role),
    workdir: workdirOf(parent?.pcb.cwd ?? '/', given.workdir),
    attach: attachedKeys(given.attach),
  };
  // What a process is shown it may read: a thread its capabilities do not reach is not attached (a child's never reach past its parent's).
  const denied = req.attach.find((key) => !caps.allows(threadCapability(key)));
  if (denied !== undefined)
    throw new AosError(
      'EPERM',
      `cannot attach thread "${denied}": it needs capability ${threadCapability(denied)}${parent ? ', which the parent does not hold' : " (or a glob covering it, e.g. thread:**), which the policy's root.capabilities do not give: add it there (aos policy show names the file)"}`,
    );
  k.disk.refuseNewWork('spawn');
  checkRoom(k);
  if (parent && k.table.depthOf(parent) >= param.maxTreeDepth)
    throw new AosError('EAGAIN', `process tree too deep (limit ${param.maxTreeDepth})`);
  const priority = req.priority ?? parent?.pcb.priority ?? param.defaultPriority;
  if (!Number.isInteger(priority) || priority < param.minPriority || priority > param.maxPriority) {
    throw new AosError('EINVAL', `priority must be an integer from ${param.minPriority} to ${param.maxPriority}`);
  }
  // A ladder's every rung is opened now: a rung that cannot be (no key, a retired model) refuses the spawn, not a later turn.
  const rungs = rungsOf(req.model);
  const loaded = rungs.map((rung) => k.models.loaded(rung));
  if (loaded.every((d) => d !== undefined)) return insert(k, parent, req, caps, priority, loaded as ModelDriver[]);
  // The spawns that came while the model loaded all go on when it has: through the turn gate, so
  // that a thousand of them do not run in one macrotask ahead of every socket and commit.
  return Promise.all(rungs.map((rung) => k.models.get(rung))).then(async (drivers) => {
    const slot = turnSlot();
    if (slot) await slot;
    return insert(k, parent, req, caps, priority, drivers);
  });
}

function checkRoom(k: SpawnCore): void {
  if (k.table.size >= param.maxProcesses) throw new AosError('EAGAIN', `process table full (${param.maxProcesses})`);
}

function insert(
  k: SpawnCore,
  parent: Proc | null,
  req: Request,
  caps: CapabilitySet,
  priority: number,
  drivers: readonly ModelDriver[],
): Pcb {
  // A ladder's context is the narrowest rung's: every turn's request fits whichever rung it goes to.
  const rungs = rungsOf(req.model);
  const contextTokens = Math.min(
    ...rungs.map((rung, i) =>
      contextBudget(rung, drivers[i] as ModelDriver, req.contextTokens, parent?.pcb.limits.contextTokens),
    ),
  );
  checkRoleFits(req.role, contextTokens);
  // The parent may have been killed (or the kernel stopped, or the table filled) while the model loaded: nothing runs under a killed parent.
  if (k.closing) throw new AosError('EAGAIN', 'the kernel is shutting down');
  checkRoom(k);
  if (parent && (parent.killRequested || isEnded(parent.pcb.state))) {
    throw new AosError('ESRCH', `process ${parent.pid} is being killed: no child is started under it`);
  }
  const pipeTo = req.pipeTo ?? null;
  if (parent && pipeTo !== null) liveTarget(k.table, parent, pipeTo, 'pipe to');
  const pid = k.store.ids.nextPid();
  const pcb = newPcb(pid, parent, req, caps, priority, pipeTo, contextTokens);
  const proc = new Proc(pcb, caps, parent?.tree ?? pid, undefined, firstContext(k, pcb, req));
  k.table.add(proc);
  parent?.adoptChild(pid);
  armWallTimer(k, proc);
  persist(k.store, proc);
  const reason = req.fork
    ? `forked from ${req.fork.origin.pid} at turn ${req.fork.origin.turn}`
    : parent
      ? `spawned by ${parent.pid}`
      : 'spawned';
  k.events.emit({
    type: 'state',
    pid,
    from: null,
    to: 'ready',
    reason,
    name: pcb.name,
    ppid: pcb.ppid,
    role: roleLabel(pcb.role),
    model: pcb.model,
  });
  enqueue(k, proc);
  return pcb;
}

/**
 * The context a process begins with, its first rows stored now (the loop takes it at the first turn:
 * turn-part.ts): its task — after the lines a preface opens it with — or, for a fork, the rows it
 * refers to (not copied: recovery reads them through pcb.fork) and its own first row when it adds one.
 */
function firstContext(k: SpawnCore, pcb: Pcb, req: Request): TurnSeed {
  const row = (seq: number, text: string): Entry => {
    k.store.transcripts.put(pcb.pid, seq, 'user', text);
    return { role: 'user', text, seq };
  };
  // Its preface (a trigger's event, a webhook's body) or a fork's added line masked as its task is.
  const mask = k.maskPrompt;
  if (req.fork) {
    const { entries, context, append } = req.fork;
    return new TurnSeed(append === null ? entries : [...entries, row(seqAfter(entries), mask(append))], context);
  }
  const given = typeof req.preface === 'function' ? req.preface(pcb.pid) : req.preface;
  const preface = given ? mask(given) : given;
  return new TurnSeed([row(0, preface ? `${preface}\n${taskMessage(pcb)}` : taskMessage(pcb))], null);
}

function newPcb(
  pid: number,
  parent: Proc | null,
  req: Request,
  caps: CapabilitySet,
  priority: number,
  pipeTo: number | null,
  contextTokens: number,
): Pcb {
  const limits = parent?.pcb.limits;
  return {
    pid,
    ppid: parent?.pid ?? 0,
    name: req.name,
    role: req.role,
    task: req.task,
    model: req.model,
    priority,
    capabilities: caps.list,
    pipeTo,
    createdAt: Date.now(),
    state: 'ready',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    exitReason: null,
    output: null,
    // A fork goes on counting the turns of its origin: its first is the turn it forked at.
    counters: { ...emptyCounters(), turns: req.fork?.origin.turn ?? 0 },
    limits: {
      maxTurns: Math.min(req.maxTurns ?? param.maxTurns, limits?.maxTurns ?? Infinity),
      maxTokens: tighter(req.maxTokens, limits?.maxTokens),
      maxCost: tighter(req.maxCost, limits?.maxCost),
      maxWallS: tighter(req.maxWallS, limits?.maxWallS),
      contextTokens,
      maxChildren: tighter(req.maxChildren, limits?.maxChildren),
      maxLiveDescendants: tighter(req.maxLiveDescendants, limits?.maxLiveDescendants),
    },
    wait: null,
    cwd: req.workdir ?? '/',
    unit: req.unit ?? parent?.pcb.unit ?? null,
    spawnKey: req.spawnKey ?? null,
    ...(req.attach?.length ? { threads: req.attach } : {}),
    ...(req.fork ? { fork: req.fork.origin } : {}),
  };
}

const threadCapability = (key: string): string => `thread:${key}`;

/** The keys to attach, checked (spelling, how many), once each. */
function attachedKeys(keys: readonly string[] | undefined): string[] {
  const unique = [...new Set(keys ?? [])].map(checkThreadKey);
  if (unique.length > param.threadMaxAttached)
    throw new AosError('EINVAL', `at most ${param.threadMaxAttached} threads may be attached (got ${unique.length})`);
  return unique;
}
