/** The --json of `aos skill …` (the skills' method results, skill-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';

const info = z.object({
  name: z.string().describe('lowercase letters, digits and hyphens, at most 64'),
  description: z.string().describe("the author's one line: what the skill is for and when to open it"),
  files: z.number().int().nonnegative().describe('files besides SKILL.md'),
});

export const SKILL_VERB_SCHEMAS = {
  'skill-add': z
    .object({
      skill: info,
      dir: z.string().describe('where it is kept: $AOS_HOME/skills/<name>'),
      files: z.array(z.object({ path: z.string(), bytes: z.number().int().nonnegative() })),
      replaced: z.boolean(),
    })
    .describe('aos skill add --json'),
  'skill-ls': z.object({ skills: z.array(info) }).describe('aos skill ls --json'),
  'skill-show': z
    .object({ skill: info, dir: z.string(), body: z.string(), files: z.array(z.string()) })
    .describe('aos skill show --json'),
  'skill-rm': z.object({ skill: info }).describe('aos skill rm --json: the skill as it was'),
} as const;
