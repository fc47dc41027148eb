/** Handlers of the units' methods (protocol/unit-protocol.ts); spread into methods.ts's table with one line. */
import type { Kernel } from '../kernel/kernel.js';
import type { ParsedParamsOf, ResultOf } from '../protocol/protocol.js';

type UnitMethod = 'unit_add' | 'unit_ls' | 'unit_show' | 'unit_run' | 'unit_enable' | 'unit_rm' | 'unit_runs';
type UnitHandlers = { [M in UnitMethod]: (params: ParsedParamsOf<M>, ctx: { kernel: Kernel }) => ResultOf<M> | Promise<ResultOf<M>> };

/** A change is acknowledged once committed, like every other change. */
async function durable<T>(kernel: Kernel, value: T): Promise<T> {
  await kernel.store.committed();
  return value;
}

export const unitHandlers: UnitHandlers = {
  unit_add: (params, { kernel }) => {
    const plan = kernel.units.preview(params.spec);
    if (params.dry_run) return { unit: plan.info, capabilities: plan.capabilities, beyond: plan.beyond, added: false, replaced: false };
    const unit = kernel.units.add(params.spec, { replace: params.replace ?? false });
    return durable(kernel, { unit, capabilities: plan.capabilities, beyond: [], added: true, replaced: plan.exists });
  },
  unit_ls: (_params, { kernel }) => ({ units: kernel.units.list() }),
  unit_show: (params, { kernel }) => ({ unit: kernel.units.info(params.name), spec: kernel.units.spec(params.name), capabilities: kernel.units.capabilities(params.name) }),
  unit_run: async (params, { kernel }) => {
    const result = await kernel.units.run(params.name);
    return durable(kernel, { unit: params.name, ...result });
  },
  unit_enable: (params, { kernel }) => durable(kernel, { unit: kernel.units.setEnabled(params.name, params.enabled) }),
  unit_rm: (params, { kernel }) => durable(kernel, { unit: kernel.units.remove(params.name) }),
  unit_runs: (params, { kernel }) => ({ runs: kernel.units.runs(params.name, params.limit ?? 50) }),
};
