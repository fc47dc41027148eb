/**
 * `unit_install` (aos unit install): a unit package staged off the kernel's thread (unit-stage.ts),
 * its unit.yaml read with what it names beside it (unit-files.ts: prompts, tapes, MCP server
 * declarations), checked as `aos unit add` checks a unit, and — unless a dry run — kept under
 * $AOS_HOME/units/<name> and added from there. The package's files are what its runs read (a
 * replay tape), so they stay with the unit; `aos unit rm` removes them with it. An installed unit
 * is changed only with `replace`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { AosError } from '../../sys/errno.js';
import { aosPaths } from '../../sys/host/paths.js';
import { refuseLackingServers, unitBeside } from './unit-files.js';
import { stageOffThread } from '../unit-stage.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function unitsDir(home: string): string {
  return aosPaths({ ...process.env, AOS_HOME: home }).units;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The package's unit.yaml and its name (checked here: it names the directory the package is kept in). */
async function readManifest(root: string, source: string): Promise<{ doc: unknown; name: string }> {
  let doc: unknown;
  try {
    doc = YAML.parse(await readFile(path.join(root, 'unit.yaml'), 'utf8'));
  } catch (error) {
    throw new AosError('EINVAL', `${source}: unit.yaml is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const name = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).name : undefined;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new AosError(
      'EINVAL',
      `${source}: unit.yaml: name must be a lowercase name of letters, digits, ".", "_" or "-" (at most 63)`,
    );
  return { doc, name };
}

export async function installUnit(
  params: ParsedParamsOf<'unit_install'>,
  kernel: KernelApi,
  home: string,
): Promise<ResultOf<'unit_install'>> {
  const source = path.resolve(params.path);
  const base = unitsDir(home);
  await mkdir(base, { recursive: true, mode: 0o700 });
  const stage = path.join(base, `.stage-${randomBytes(6).toString('hex')}`);
  try {
    // Read by a child process under the package limits: never on the kernel's thread (unit-stage.ts).
    const staged = await stageOffThread(source, stage);
    const { doc, name } = await readManifest(staged.root, source);
    const dir = path.join(base, name);
    const from = await unitBeside(doc, staged.root, `${source}: unit.yaml`, kernel.mcpServers, dir);
    const plan = kernel.units.preview(from.doc);
    const answer = (installed: boolean, added: boolean): ResultOf<'unit_install'> => ({
      plan: {
        unit: plan.info,
        capabilities: plan.capabilities,
        beyond: added ? [] : plan.beyond,
        policies: plan.policies,
        mcp: from.mcp,
        mcp_to_add: from.mcpToAdd,
        added,
        replaced: added && plan.exists,
      },
      dir,
      files: staged.files,
      installed,
    });
    if (params.dry_run) return answer(false, false);
    if (plan.beyond.length > 0)
      throw new AosError(
        'EACCES',
        `unit ${name} asks for more than the policy's root holds: ${plan.beyond.join(', ')}`,
      );
    refuseLackingServers(name, from, kernel.safety.policy.file);
    if (plan.exists && !params.replace)
      throw new AosError('EEXIST', `unit ${name} is there already: install with --replace to change it`);
    // The old files move aside until the new unit is in; a failure puts them back.
    const aside = (await exists(dir)) ? `${dir}.old-${randomBytes(4).toString('hex')}` : null;
    if (aside) await rename(dir, aside);
    await rename(staged.root, dir);
    try {
      kernel.units.add(from.doc, { replace: params.replace ?? false });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (aside) await rename(aside, dir);
      throw error;
    }
    if (aside) await rm(aside, { recursive: true, force: true });
    await kernel.store.committed();
    return answer(true, true);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** A removed unit's installed files go with it (a unit added from a file has none here). */
export async function uninstall(home: string, name: string): Promise<void> {
  if (!NAME.test(name)) return;
  await rm(path.join(unitsDir(home), name), { recursive: true, force: true });
}
