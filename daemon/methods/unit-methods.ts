/** Handlers of the units' methods (protocol/unit-protocol.ts); spread into methods.ts's table with one line. */
import path from 'node:path';
import YAML from 'yaml';
import { AosError } from '../../sys/errno.js';
import { type KernelApi, refuseUnitText } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { unitApply } from './unit-set-method.js';
import { refuseLackingServers, unitBeside, type UnitFromFile } from './unit-files.js';
import { installUnit, uninstall } from './unit-install.js';

type UnitMethod =
  | 'unit_add'
  | 'unit_install'
  | 'unit_ls'
  | 'unit_show'
  | 'unit_run'
  | 'unit_enable'
  | 'unit_rm'
  | 'unit_runs'
  | 'unit_apply';
type UnitHandlers = {
  [M in UnitMethod]: (
    params: ParsedParamsOf<M>,
    ctx: { kernel: KernelApi; info: { home: string } },
  ) => ResultOf<M> | Promise<ResultOf<M>>;
};

/** A change is acknowledged once committed, like every other change. */
async function durable<T>(kernel: KernelApi, value: T): Promise<T> {
  await kernel.store.committed();
  return value;
}

/** The unit a request carries: parsed, or its YAML parsed here, with what it names beside its file made whole (unit-files.ts). */
async function unitOf(params: ParsedParamsOf<'unit_add'>, kernel: KernelApi): Promise<UnitFromFile> {
  if (params.text === undefined) {
    if (params.spec === undefined) throw new AosError('EINVAL', 'unit_add: give the unit (spec) or its YAML (text)');
    return { doc: params.spec as Record<string, unknown>, mcp: [], mcpToAdd: '' };
  }
  const source = params.file ?? 'the unit';
  let doc: unknown;
  try {
    doc = YAML.parse(params.text);
  } catch (error) {
    throw new AosError('EINVAL', `${source} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const from = await unitBeside(
    doc,
    params.file === undefined ? kernel.cwd : path.dirname(params.file),
    source,
    kernel.mcpServers,
  );
  // Every mistake of the file at once, each with its line, before the kernel reads it as a unit.
  refuseUnitText(from.doc, params.text, source);
  return from;
}

export const unitHandlers: UnitHandlers = {
  unit_add: async (params, { kernel }) => {
    const from = await unitOf(params, kernel);
    const plan = kernel.units.preview(from.doc);
    const answer = {
      unit: plan.info,
      capabilities: plan.capabilities,
      beyond: plan.beyond,
      policies: plan.policies,
      mcp: from.mcp,
      mcp_to_add: from.mcpToAdd,
    };
    if (params.dry_run) return { ...answer, added: false, replaced: false };
    refuseLackingServers(plan.info.name, from, kernel.safety.policy.file);
    const unit = kernel.units.add(from.doc, { replace: params.replace ?? false });
    return durable(kernel, { ...answer, unit, beyond: [], added: true, replaced: plan.exists });
  },
  unit_install: (params, { kernel, info }) => installUnit(params, kernel, info.home),
  // The units' runs are read awaited (on PostgreSQL the kernel's thread goes on while the database answers).
  unit_ls: async (_params, { kernel }) => ({ units: await kernel.unitReads.list() }),
  unit_show: async (params, { kernel }) => ({
    unit: await kernel.unitReads.info(params.name),
    spec: kernel.units.spec(params.name),
    capabilities: kernel.units.capabilities(params.name),
    webhooks: kernel.units.webhooks(params.name),
  }),
  unit_run: async (params, { kernel }) => {
    const result = await kernel.units.run(params.name);
    return durable(kernel, { unit: params.name, ...result });
  },
  unit_enable: (params, { kernel }) => durable(kernel, { unit: kernel.units.setEnabled(params.name, params.enabled) }),
  unit_rm: async (params, { kernel, info }) => {
    const unit = kernel.units.remove(params.name);
    await uninstall(info.home, params.name);
    return durable(kernel, { unit });
  },
  unit_runs: async (params, { kernel }) => ({ runs: await kernel.unitReads.runs(params.name, params.limit ?? 50) }),
  unit_apply: (params, { kernel }) => unitApply(params, kernel),
};
