/** Skill folders written for tests (SKILL.md and its files), as an author would lay one out. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** SKILL.md's text: front matter with name and description, then the body. */
export function skillMd(name: string, description: string, body = `# ${name}\n\nDo the thing.\n`): string {
  return `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\n---\n${body}`;
}

/** A skill folder `<parent>/<folder>` (the skill's name unless given) with SKILL.md and `files`; its path. */
export async function writeSkill(
  parent: string,
  name: string,
  description: string,
  options: { body?: string; files?: Record<string, string>; folder?: string; text?: string } = {},
): Promise<string> {
  const dir = path.join(parent, options.folder ?? name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'SKILL.md'), options.text ?? skillMd(name, description, options.body));
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

/** `n` plausible skills under `parent` (skill-000 …), each with a description of typical length. */
export async function writeManySkills(parent: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(3, '0');
    await writeSkill(
      parent,
      `skill-${id}`,
      `Use when the task involves workflow ${id}: fill, check and file the forms of department ${id}, with the scripts it ships.`,
    );
  }
}
