/**
 * SKILL_OPEN's work (issue 53.1): what an installed skill shows the process that opens it — its
 * instructions and file list, one of its files (cut at param.skillFileReadMaxBytes), or the list
 * of skills the process may see. Seeing is the capability skill:<name-glob>; a skill the process
 * may not see answers exactly as one that is not installed (ENOENT, the same words), so names do
 * not leak across a policy. A skill grants nothing: its scripts run, if at all, through the
 * process's own EXEC_CMD under its own rules.
 */
import type { Skill, SkillShelf } from '../drivers/skills/shelf.js';
import { CapabilitySet } from '../sys/capabilities.js';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';
import type { SkillOpenAnswer, SkillOpenRequest } from '../syscalls/services.js';

/** The installed skills `caps` may see, by name. */
export function visibleSkills(shelf: SkillShelf, caps: readonly string[]): Skill[] {
  if (!caps.some((c) => c.startsWith('skill'))) return [];
  const set = new CapabilitySet(caps);
  return shelf.list().filter((s) => set.allows(`skill:${s.name}`));
}

const missing = (name: string): AosError =>
  new AosError('ENOENT', `no skill named ${JSON.stringify(name.slice(0, 80))} (SKILL_OPEN {"list": true} lists yours)`);

export async function skillOpen(
  shelf: SkillShelf,
  caps: readonly string[],
  request: SkillOpenRequest,
): Promise<SkillOpenAnswer> {
  if (request.list)
    return { skills: visibleSkills(shelf, caps).map(({ name, description }) => ({ name, description })) };
  const name = request.name ?? '';
  const skill = shelf.get(name);
  if (!skill || !new CapabilitySet(caps).allows(`skill:${name}`)) throw missing(name);
  if (request.file !== undefined) return { name, file: request.file, ...(await shelf.file(name, request.file)) };
  const files = skill.files.slice(0, param.skillMaxListedFiles);
  return {
    name,
    description: skill.description,
    body: await shelf.body(name),
    files,
    files_more: skill.files.length - files.length,
  };
}
