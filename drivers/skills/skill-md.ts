/**
 * A skill's SKILL.md read as Agent Skills write it (the format Claude Code, OpenClaw and others
 * share): YAML front matter between two `---` lines with `name` (lowercase letters, digits and
 * hyphens, at most 64) and `description` (one line, at most 1,024 characters), then the markdown
 * body — the instructions an agent reads when it opens the skill. Anything else in the front matter
 * (license, allowed-tools, metadata) is kept out: a skill grants nothing, so a field that would
 * grant is ignored, never obeyed. Every refusal says what is wrong and where.
 */
import YAML from 'yaml';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';

/** Agent Skills' name: lowercase letters, digits and single hyphens, neither first nor last. */
export const SKILL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface SkillManifest {
  name: string;
  description: string;
  /** The markdown after the front matter. */
  body: string;
}

/** Why `name` is no skill name, or null when it is one. */
export function skillNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'a skill needs a name';
  if (name.length > param.skillNameMaxChars)
    return `a skill's name is at most ${param.skillNameMaxChars} characters (got ${name.length})`;
  if (!SKILL_NAME.test(name))
    return `${JSON.stringify(name.slice(0, 80))} is not a skill name: lowercase letters, digits and single hyphens (e.g. pdf-forms)`;
  return null;
}

/**
 * Control characters, line and paragraph separators, and every invisible format character (\p{Cf}:
 * bidi overrides, zero-width marks, word joiners, soft hyphens, and the Unicode tags that spell
 * hidden ASCII a model reads and a person does not see), with the fillers that render as nothing.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0]/u;

function descriptionOf(raw: unknown, where: string): string {
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new AosError('EINVAL', `${where}: description is required: one line saying what the skill is for and when`);
  const text = raw.trim().replace(/\s*\n\s*/g, ' ');
  if (text.length > param.skillDescriptionMaxChars)
    throw new AosError(
      'EINVAL',
      `${where}: description is ${text.length} characters, more than ${param.skillDescriptionMaxChars} (param.skillDescriptionMaxChars)`,
    );
  if (UNPRINTABLE.test(text))
    throw new AosError(
      'EINVAL',
      `${where}: description holds a control, zero-width, invisible or direction-changing character; a description is plain text`,
    );
  return text;
}

/** Parse SKILL.md's text (`where` names it in refusals); refused with EINVAL naming the field. */
export function parseSkillMd(text: string, where = 'SKILL.md'): SkillManifest {
  const bytes = Buffer.byteLength(text);
  if (bytes > param.skillMaxManifestBytes)
    throw new AosError(
      'EFBIG',
      `${where} is ${bytes} bytes, more than ${param.skillMaxManifestBytes} (param.skillMaxManifestBytes)`,
    );
  const match = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match)
    throw new AosError(
      'EINVAL',
      `${where}: front matter missing: the file starts with a "---" line, then name: and description:, then "---"`,
    );
  let front: unknown;
  try {
    // No aliases: a front matter of a few lines needs none, and a billion-laughs needs them.
    front = YAML.parse(match[1] ?? '', { maxAliasCount: 0, schema: 'core' });
  } catch (error) {
    throw new AosError('EINVAL', `${where}: front matter is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof front !== 'object' || front === null || Array.isArray(front))
    throw new AosError('EINVAL', `${where}: front matter must be a mapping with name: and description:`);
  const fields = front as Record<string, unknown>;
  const problem = skillNameProblem(fields.name);
  if (problem) throw new AosError('EINVAL', `${where}: name: ${problem}`);
  return {
    name: fields.name as string,
    description: descriptionOf(fields.description, where),
    body: text.slice(match[0].length),
  };
}
