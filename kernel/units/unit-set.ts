/**
 * A file of units applied as a set (`aos up`, `aos down`), as docker compose applies services: the
 * units it lists are added or changed to match, and those it listed before and no longer does are
 * removed; the plan (added, changed, removed, unchanged) is shown before anything is applied, and
 * a set that asks for a capability the policy's root lacks is refused whole, and so is one whose
 * units, with the kernel's others, would start each other in a loop (trigger-graph.ts). Which units a file
 * applied last time is kept in the store's meta, under the file's path.
 */
import { AosError } from '../../sys/errno.js';
import type { KernelStore } from '../store/api.js';
import { capabilitiesBeyond } from './runs.js';
import { unanswerableWebhook } from './run-caps.js';
import { toUnit, type Unit } from './spec.js';
import type { Units } from './units.js';
import type { CapabilitySet } from '../../sys/capabilities.js';

export interface SetPlan {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  /** Capabilities the policy's root does not hold, by unit: a set with any is refused. */
  beyond: Array<{ unit: string; capabilities: string[] }>;
}

const metaKey = (file: string): string => `unit_set:${file}`;

export async function previousSet(store: KernelStore, file: string): Promise<string[]> {
  const raw = await store.meta(metaKey(file));
  try {
    const names = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** What applying `documents` as the set of `file` would do; nothing is kept. */
export function planSet(
  units: Units,
  rootCaps: CapabilitySet,
  documents: readonly unknown[],
  previous: readonly string[],
): SetPlan {
  const plan: SetPlan = { added: [], changed: [], removed: [], unchanged: [], beyond: [] };
  const names = new Set<string>();
  const changing: Unit[] = [];
  for (const document of documents) {
    const unit = toUnit(document);
    const { name } = unit.spec;
    if (names.has(name)) throw new AosError('EINVAL', `the file lists unit ${name} twice`);
    names.add(name);
    const beyond = capabilitiesBeyond(unit, rootCaps);
    if (beyond.length > 0) plan.beyond.push({ unit: name, capabilities: beyond });
    // Refused at the plan, whole: a run could never answer its webhook (run-caps.ts).
    const unanswerable = unanswerableWebhook(unit, rootCaps);
    if (unanswerable !== null) throw new AosError('EINVAL', unanswerable);
    const existing = units.list().find((u) => u.name === name);
    if (!existing) plan.added.push(name);
    else if (JSON.stringify(units.spec(name)) === JSON.stringify(unit.spec)) plan.unchanged.push(name);
    else plan.changed.push(name);
    if (!plan.unchanged.includes(name)) changing.push(unit);
  }
  const known = new Set(units.list().map((u) => u.name));
  for (const name of previous) if (!names.has(name) && known.has(name)) plan.removed.push(name);
  // The set as it will be, whole: its units are added one by one, and a loop must not be half made.
  units.refuseLoops(changing, plan.removed);
  return plan;
}

/** Apply a plan made by planSet from the same documents; the set's members are kept for next time. */
export function applySet(
  units: Units,
  store: KernelStore,
  file: string,
  documents: readonly unknown[],
  plan: SetPlan,
): void {
  if (plan.beyond.length > 0) {
    throw new AosError(
      'EACCES',
      `not applied: ${plan.beyond.map((b) => `${b.unit} asks for ${b.capabilities.join(', ')}`).join('; ')}, which the policy's root does not hold`,
    );
  }
  for (const document of documents) {
    const name = toUnit(document).spec.name;
    if (plan.added.includes(name)) units.add(document, { loopsChecked: true });
    else if (plan.changed.includes(name)) units.add(document, { replace: true, loopsChecked: true });
  }
  for (const name of plan.removed) units.remove(name);
  store.setMeta(metaKey(file), JSON.stringify(documents.map((d) => toUnit(d).spec.name)));
}
