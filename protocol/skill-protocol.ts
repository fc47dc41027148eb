/**
 * Protocol methods of skills (issue 53.1): spread into METHODS (protocol.ts) with one line;
 * `aos skill …` calls them. A skill is a folder with a SKILL.md, read as a unit package is (off
 * the kernel's thread, under the package limits) and kept under $AOS_HOME/skills/<name>.
 */
import { z } from 'zod';
import { SKILL_RESULTS as R } from './skill-results.js';

const name = z.string().min(1).max(128);

export const SKILL_METHODS = {
  /** Install the skill at `path` (a directory or a .tar.gz of one, on the daemon's host); `replace` changes an installed one. */
  skill_add: {
    params: z.strictObject({ path: z.string().min(1).max(4096), replace: z.boolean().optional() }),
    result: R.skill_add,
  },
  /** Every installed skill, by name. */
  skill_ls: { params: z.strictObject({}), result: R.skill_ls },
  /** One skill: its description, instructions and files. */
  skill_show: { params: z.strictObject({ name }), result: R.skill_show },
  /** Remove a skill and its files (a unit that names it keeps its name; its next add would refuse it). */
  skill_rm: { params: z.strictObject({ name }), result: R.skill_rm },
} as const;
