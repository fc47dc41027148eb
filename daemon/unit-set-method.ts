/** `unit_apply` (aos up / aos down): a file of units read here — the daemon has the YAML parser and the files — and applied as a set (kernel/units/unit-set.ts). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { Kernel } from '../kernel/kernel.js';
import { applySet, planSet, previousSet } from '../kernel/units/unit-set.js';
import type { ParsedParamsOf, ResultOf } from '../protocol/protocol.js';
import { AosError } from '../sys/errno.js';

function parse(text: string, source: string): unknown {
  try {
    return YAML.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `${source} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A unit with its relative replay tape found beside the file it came from. */
function besideIts(file: string, unit: unknown, source: string): unknown {
  if (typeof unit !== 'object' || unit === null || Array.isArray(unit)) throw new AosError('EINVAL', `${source}: a unit is a mapping (name:, task:, triggers: …)`);
  const doc = { ...(unit as Record<string, unknown>) };
  if (typeof doc.model === 'string' && doc.model.startsWith('replay:') && !path.isAbsolute(doc.model.slice(7))) {
    doc.model = `replay:${path.resolve(path.dirname(file), doc.model.slice(7))}`;
  }
  return doc;
}

/** The units a set file lists: inline, or `- file: path/to/unit.yaml` (beside the set file). */
async function unitsOf(text: string, file: string): Promise<unknown[]> {
  const doc = parse(text, file);
  const list = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>).units : undefined;
  if (!Array.isArray(list)) throw new AosError('EINVAL', `${file}: a set of units is a mapping with a units: list`);
  const units: unknown[] = [];
  for (const [i, entry] of list.entries()) {
    const named = typeof entry === 'object' && entry !== null && typeof (entry as Record<string, unknown>).file === 'string' ? ((entry as Record<string, unknown>).file as string) : null;
    if (named === null) {
      units.push(besideIts(file, entry, `${file}: units[${i}]`));
      continue;
    }
    const unitFile = path.resolve(path.dirname(file), named);
    let unitText: string;
    try {
      unitText = await readFile(unitFile, 'utf8');
    } catch (error) {
      throw new AosError('ENOENT', `${file}: units[${i}]: cannot read ${unitFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    units.push(besideIts(unitFile, parse(unitText, unitFile), unitFile));
  }
  return units;
}

export async function unitApply(params: ParsedParamsOf<'unit_apply'>, kernel: Kernel): Promise<ResultOf<'unit_apply'>> {
  const file = path.resolve(params.file);
  const documents = params.down ? [] : await unitsOf(params.text, file);
  const plan = planSet(kernel.units, kernel.rootCaps, documents, await previousSet(kernel.store, file));
  const todo = plan.added.length + plan.changed.length + plan.removed.length;
  if (params.dry_run || todo === 0 || plan.beyond.length > 0) {
    if (!params.dry_run && plan.beyond.length > 0) applySet(kernel.units, kernel.store, file, documents, plan); // throws EACCES, naming them
    return { file, plan, applied: false };
  }
  applySet(kernel.units, kernel.store, file, documents, plan);
  await kernel.store.committed();
  return { file, plan, applied: true };
}
