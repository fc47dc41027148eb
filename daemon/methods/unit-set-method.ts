/** `unit_apply` (aos up / aos down): a file of units read here — the daemon has the YAML parser and the files — and applied as a set (kernel/units/unit-set.ts). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { type KernelApi, refuseUnitText } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { AosError } from '../../sys/errno.js';
import { unitBeside, refuseLackingServers, type UnitFromFile } from './unit-files.js';

function parse(text: string, source: string): unknown {
  try {
    return YAML.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `${source} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The units a set file lists: inline, or `- file: path/to/unit.yaml` (beside the set file). */
async function unitsOf(text: string, file: string, kernel: KernelApi): Promise<UnitFromFile[]> {
  const doc = parse(text, file);
  const list =
    typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>).units : undefined;
  if (!Array.isArray(list)) throw new AosError('EINVAL', `${file}: a set of units is a mapping with a units: list`);
  const units: UnitFromFile[] = [];
  for (const [i, entry] of list.entries()) {
    const named =
      typeof entry === 'object' && entry !== null && typeof (entry as Record<string, unknown>).file === 'string'
        ? ((entry as Record<string, unknown>).file as string)
        : null;
    if (named === null) {
      const inline = await unitBeside(entry, path.dirname(file), `${file}: units[${i}]`, kernel.mcpServers);
      // Every mistake of the unit at once, each with its line in the set file.
      refuseUnitText(inline.doc, text, `${file}: units[${i}]`, ['units', i]);
      units.push(inline);
      continue;
    }
    const unitFile = path.resolve(path.dirname(file), named);
    let unitText: string;
    try {
      unitText = await readFile(unitFile, 'utf8');
    } catch (error) {
      throw new AosError(
        'ENOENT',
        `${file}: units[${i}]: cannot read ${unitFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    const fromFile = await unitBeside(parse(unitText, unitFile), path.dirname(unitFile), unitFile, kernel.mcpServers);
    refuseUnitText(fromFile.doc, unitText, unitFile);
    units.push(fromFile);
  }
  return units;
}

export async function unitApply(
  params: ParsedParamsOf<'unit_apply'>,
  kernel: KernelApi,
): Promise<ResultOf<'unit_apply'>> {
  const file = path.resolve(params.file);
  const units = params.down ? [] : await unitsOf(params.text, file, kernel);
  const documents = units.map((u) => u.doc);
  if (!params.dry_run)
    for (const unit of units) refuseLackingServers(String(unit.doc.name), unit, kernel.safety.policy.file);
  const plan = await kernel.admin.planUnitSet(file, documents);
  const todo = plan.added.length + plan.changed.length + plan.removed.length;
  if (params.dry_run || todo === 0 || plan.beyond.length > 0) {
    if (!params.dry_run && plan.beyond.length > 0) kernel.admin.applyUnitSet(file, documents, plan); // throws EACCES, naming them
    return { file, plan, applied: false };
  }
  kernel.admin.applyUnitSet(file, documents, plan);
  await kernel.store.committed();
  return { file, plan, applied: true };
}
