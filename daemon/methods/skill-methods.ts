/**
 * Handlers of the skills' methods (protocol/skill-protocol.ts); spread into methods.ts's table with
 * one line. `skill_add` reads the package as `aos unit install` does — in the package reader's
 * process, under every package limit (unit-stage.ts), with SKILL.md as its manifest — checks its
 * SKILL.md (drivers/skills/skill-md.ts), and moves the staged copy to $AOS_HOME/skills/<name>:
 * copied in, never linked. Changes are made one at a time, and the kernel's shelf is read again
 * after each, so the next system prompt and SKILL_OPEN see it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { KernelApi } from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import { parseSkillMd } from '../../drivers/skills/skill-md.js';
import type { Skill } from '../../drivers/skills/shelf.js';
import { AosError } from '../../sys/errno.js';
import { aosPaths } from '../../sys/host/paths.js';
import { param } from '../../sys/param.js';
import type { PackageManifest } from '../unit-package.js';
import { stageOffThread } from '../unit-stage.js';

type SkillMethod = 'skill_add' | 'skill_ls' | 'skill_show' | 'skill_rm';
type SkillHandlers = {
  [M in SkillMethod]: (
    params: ParsedParamsOf<M>,
    ctx: { kernel: KernelApi; info: { home: string } },
  ) => ResultOf<M> | Promise<ResultOf<M>>;
};

const SKILL_MANIFEST: PackageManifest = {
  file: 'SKILL.md',
  maxBytes: param.skillMaxManifestBytes,
  limit: 'param.skillMaxManifestBytes',
};

const skillsDir = (home: string): string => aosPaths({ ...process.env, AOS_HOME: home }).skills;
const infoOf = (skill: Skill): ResultOf<'skill_ls'>['skills'][number] => ({
  name: skill.name,
  description: skill.description,
  files: skill.files.length,
});

/** One change at a time: two adds of one name never rename over each other. */
let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

function need(kernel: KernelApi, name: string): Skill {
  const skill = kernel.skills.get(name);
  if (!skill)
    throw new AosError('ENOENT', `no skill named ${JSON.stringify(name.slice(0, 80))} (aos skill ls lists them)`);
  return skill;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function addSkill(params: ParsedParamsOf<'skill_add'>, kernel: KernelApi, home: string) {
  const source = path.resolve(params.path);
  const base = skillsDir(home);
  await mkdir(base, { recursive: true, mode: 0o700 });
  const stage = path.join(base, `.stage-${randomBytes(6).toString('hex')}`);
  try {
    const staged = await stageOffThread(source, stage, undefined, SKILL_MANIFEST);
    const text = await readFile(path.join(staged.root, 'SKILL.md'), 'utf8');
    const manifest = parseSkillMd(text, `${source}: SKILL.md`);
    const replaced = kernel.skills.get(manifest.name) !== undefined;
    if (replaced && !params.replace)
      throw new AosError('EEXIST', `skill ${manifest.name} is installed already: add it with --replace to change it`);
    if (!replaced && kernel.skills.list().length >= param.skillsMax)
      throw new AosError('EAGAIN', `this home holds ${param.skillsMax} skills, its most (param.skillsMax)`);
    const dir = path.join(base, manifest.name);
    // The old copy moves aside under a dot name (the shelf skips those) until the new one is in.
    const aside = (await exists(dir))
      ? path.join(base, `.old-${manifest.name}-${randomBytes(4).toString('hex')}`)
      : null;
    if (aside) await rename(dir, aside);
    await rename(staged.root, dir);
    if (aside) await rm(aside, { recursive: true, force: true });
    await kernel.skills.load();
    const skill = need(kernel, manifest.name);
    return { skill: infoOf(skill), dir, files: staged.files, replaced };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

export const skillHandlers: SkillHandlers = {
  skill_add: (params, { kernel, info }) => oneAtATime(() => addSkill(params, kernel, info.home)),
  skill_ls: (_params, { kernel }) => ({ skills: kernel.skills.list().map(infoOf) }),
  skill_show: async (params, { kernel }) => {
    const skill = need(kernel, params.name);
    const text = await readFile(path.join(skill.dir, 'SKILL.md'), 'utf8');
    return { skill: infoOf(skill), dir: skill.dir, body: parseSkillMd(text, skill.name).body, files: skill.files };
  },
  skill_rm: (params, { kernel }) =>
    oneAtATime(async () => {
      const skill = need(kernel, params.name);
      await rm(skill.dir, { recursive: true, force: true });
      await kernel.skills.load();
      return { skill: infoOf(skill) };
    }),
};
