/**
 * SKILL_OPEN (issue 53.1): progressive disclosure of skills. The system prompt lists the skills a
 * process may see by name and description; this call returns one's instructions (SKILL.md's body)
 * and its file list, one of its files with `file`, or every skill it may see with `list`. A skill
 * it may not see (capability skill:<name-glob>) answers ENOENT as a missing one does.
 */
import { z } from 'zod';
import { AosError } from '../sys/errno.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SKILL_OPEN',
  summary:
    "Open an installed skill: its instructions and its files' names; with file, that file's text (a script runs only through your own EXEC_CMD: write it to your workspace first). " +
    'list: true lists every skill you may see. A skill grants no capability.',
  returns:
    '{name, description, body, files, files_more} | {name, file, content, bytes, truncated} | {skills: [{name, description}]}',
  args: z
    .object({
      name: z.string().min(1).max(128).optional(),
      file: z.string().min(1).max(1_024).optional(),
      list: z.boolean().optional(),
    })
    .strict(),
  readOnly: true,
  // Every process may ask; it sees only the skills its capabilities name (skill:<glob>), and the rest answer as absent.
  capability: null,
  run: (args, ctx) => {
    if (args.list !== true && args.name === undefined)
      throw new AosError('EINVAL', 'name: required: the skill to open (or list: true for the skills you may see)');
    return ctx.proc.skillOpen(args);
  },
});
