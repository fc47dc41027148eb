/**
 * The verbs only a person asks of the kernel, from outside — `aos stop`, `inspect`, `rm`, `prune`,
 * `diff`, `rollback`, `record`, `eval`, `up` and `down` — as the door names them (api.ts AdminApi).
 * Each is the function of the floor that owns the work, given the kernel; nothing of the kernel's
 * own calls them, so kernel.ts holds them as one member (`kernel.admin`) instead of ten.
 */
import type { AdminApi } from './api.js';
import { type ForkHost, rollbackFrom } from './fork.js';
import type { ProcCore } from './proc/api.js';
import { inspectProcess } from './proc/inspect.js';
import { stopProcess } from './proc/stop.js';
import { diffProcess } from './safety/rollback.js';
import type { CapabilitySet } from '../sys/capabilities.js';
import { evalTapes, type EvalHost } from './tapes/eval.js';
import { type RecordHost, recordTape } from './tapes/record.js';
import { applySet, planSet, previousSet } from './units/unit-set.js';
import type { Units } from './units/units.js';
import { pruneProcesses, removeProcesses } from './upkeep/retention.js';
import type { TaintLedger } from './safety/taint-ledger.js';

/** The kernel's parts these verbs work on: what each floor's function already asks of it. */
type KernelParts = ProcCore &
  Pick<ForkHost, 'history' | 'safety'> &
  RecordHost &
  EvalHost & { readonly units: Units; readonly rootCaps: CapabilitySet } & {
    readonly safety: { readonly ledger: Pick<TaintLedger, 'viewOf'> };
  };

export function adminVerbs(k: KernelParts): AdminApi {
  return {
    stop: (pid, seconds, options) => stopProcess(k, pid, seconds, options),
    // Its taint beside the rest (issue 49): the ledger reads an ended process's from its row.
    inspect: async (pid) => ({ ...(await inspectProcess(k.table, pid)), taint: await k.safety.ledger.viewOf(pid) }),
    remove: (pids) => removeProcesses(k, pids),
    prune: (before) => pruneProcesses(k, before),
    diff: (pid) => diffProcess(k.safety, pid),
    rollback: (pid, turn) => rollbackFrom(k, pid, turn),
    recordTape: (pid, options) => recordTape(k, pid, options),
    evalTapes: (request) => evalTapes(k, request),
    planUnitSet: async (file, documents) => planSet(k.units, k.rootCaps, documents, await previousSet(k.store, file)),
    applyUnitSet: (file, documents, plan) => applySet(k.units, k.store, file, documents, plan),
  };
}
