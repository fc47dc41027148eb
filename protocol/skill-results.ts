/** Result shapes of the skills' methods (skill-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

/** A skill as `aos skill ls` lists it. */
export const skillInfo = s.object({
  name: s.string,
  description: s.string,
  files: s.nonNegativeInt,
});

export const SKILL_RESULTS = {
  skill_add: s.object({
    skill: skillInfo,
    dir: s.string,
    files: s.array(s.object({ path: s.string, bytes: s.nonNegativeInt })),
    replaced: s.boolean,
  }),
  skill_ls: s.object({ skills: s.array(skillInfo) }),
  skill_show: s.object({ skill: skillInfo, dir: s.string, body: s.string, files: s.array(s.string) }),
  skill_rm: s.object({ skill: skillInfo }),
};
