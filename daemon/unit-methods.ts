/** Handlers of the units' methods (protocol/unit-protocol.ts); spread into methods.ts's table with one line. */
import path from 'node:path';
import YAML from 'yaml';
import { AosError } from '../sys/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { ParsedParamsOf, ResultOf } from '../protocol/protocol.js';
import { unitApply } from './unit-set-method.js';

type UnitMethod = 'unit_add' | 'unit_ls' | 'unit_show' | 'unit_run' | 'unit_enable' | 'unit_rm' | 'unit_runs' | 'unit_apply';
type UnitHandlers = { [M in UnitMethod]: (params: ParsedParamsOf<M>, ctx: { kernel: Kernel }) => ResultOf<M> | Promise<ResultOf<M>> };

/** A change is acknowledged once committed, like every other change. */
async function durable<T>(kernel: Kernel, value: T): Promise<T> {
  await kernel.store.committed();
  return value;
}

/** The unit a request carries: parsed, or its YAML parsed here; a relative `replay:` tape is its file's neighbour. */
function unitOf(params: ParsedParamsOf<'unit_add'>): unknown {
  if (params.text === undefined) {
    if (params.spec === undefined) throw new AosError('EINVAL', 'unit_add: give the unit (spec) or its YAML (text)');
    return params.spec;
  }
  const source = params.file ?? 'the unit';
  let doc: unknown;
  try {
    doc = YAML.parse(params.text);
  } catch (error) {
    throw new AosError('EINVAL', `${source} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new AosError('EINVAL', `${source}: a unit is a YAML mapping (name:, task:, triggers: …)`);
  const unit = { ...(doc as Record<string, unknown>) };
  const model = unit.model;
  if (params.file !== undefined && typeof model === 'string' && model.startsWith('replay:') && !path.isAbsolute(model.slice(7))) {
    unit.model = `replay:${path.resolve(path.dirname(params.file), model.slice(7))}`;
  }
  return unit;
}

export const unitHandlers: UnitHandlers = {
  unit_add: (params, { kernel }) => {
    const spec = unitOf(params);
    const plan = kernel.units.preview(spec);
    if (params.dry_run) return { unit: plan.info, capabilities: plan.capabilities, beyond: plan.beyond, policies: plan.policies, added: false, replaced: false };
    const unit = kernel.units.add(spec, { replace: params.replace ?? false });
    return durable(kernel, { unit, capabilities: plan.capabilities, beyond: [], policies: plan.policies, added: true, replaced: plan.exists });
  },
  unit_ls: (_params, { kernel }) => ({ units: kernel.units.list() }),
  unit_show: (params, { kernel }) => ({
    unit: kernel.units.info(params.name),
    spec: kernel.units.spec(params.name),
    capabilities: kernel.units.capabilities(params.name),
    webhooks: kernel.units.webhooks(params.name),
  }),
  unit_run: async (params, { kernel }) => {
    const result = await kernel.units.run(params.name);
    return durable(kernel, { unit: params.name, ...result });
  },
  unit_enable: (params, { kernel }) => durable(kernel, { unit: kernel.units.setEnabled(params.name, params.enabled) }),
  unit_rm: (params, { kernel }) => durable(kernel, { unit: kernel.units.remove(params.name) }),
  unit_runs: (params, { kernel }) => ({ runs: kernel.units.runs(params.name, params.limit ?? 50) }),
  unit_apply: (params, { kernel }) => unitApply(params, kernel),
};
