/**
 * `aos skill add|ls|show|rm`: skills (issue 53.1) — folders with a SKILL.md (a name, a one-line
 * description, then instructions) and optional files, the format Claude Code and others share.
 * Agents see the names and descriptions of the skills their capability skill:<name-glob> covers,
 * and open one with SKILL_OPEN when their task needs it. Every --json prints the method's answer.
 */
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import { printable } from './printable.js';
import { table } from './unit-format.js';
import type { VerbSpec } from './verb.js';

type Info = ResultOf<'skill_ls'>['skills'][number];
type Flags = { json?: boolean; replace?: boolean };

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function formatSkills(skills: readonly Info[]): string {
  if (skills.length === 0) return 'no skills (aos skill add <dir|.tar.gz> installs one)';
  return table(
    ['SKILL', 'FILES', 'DESCRIPTION'],
    skills.map((s) => [s.name, String(s.files), cut(printable(s.description), 90)]),
  );
}

function formatShow(r: ResultOf<'skill_show'>): string {
  const lines = [`${r.skill.name}: ${printable(r.skill.description)}`, `kept in ${r.dir}`];
  lines.push(r.files.length ? `files: ${r.files.map(printable).join(', ')}` : 'files: none besides SKILL.md');
  lines.push('', printable(r.body).trimEnd());
  return lines.join('\n');
}

export const skillVerb: VerbSpec = {
  name: 'skill',
  summary: 'skills: folders of instructions (SKILL.md) agents open when their task needs one',
  help: `
A skill is a folder with a SKILL.md — YAML front matter with name (lowercase letters, digits,
hyphens) and description (one line), then the instructions — and optional files and scripts.
"aos skill add" reads it as a unit package is read (no links, no paths out, size limits) and keeps
a copy under $AOS_HOME/skills/<name>. Agents are shown the names and descriptions of the skills
their capability skill:<name-glob> covers (the default policy's root holds skill:*); SKILL_OPEN
returns one's instructions and files. A skill grants nothing: its scripts run only through the
agent's own EXEC_CMD, under its own rules.

Examples:
  aos skill add ./skills/pdf-forms
  aos skill add pdf-forms.tar.gz --replace
  aos skill ls
  aos skill show pdf-forms
  aos skill rm pdf-forms`,
  subcommands: [
    {
      name: 'add',
      summary: 'install a skill (a directory or .tar.gz with SKILL.md at its top)',
      args: [['<path>', 'the skill folder or archive']],
      options: [{ flags: '--replace', help: 'replace an installed skill of that name' }, json],
      run: ({ args: [at], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('skill_add', {
            path: path.resolve(at as string),
            ...(f.replace ? { replace: true } : {}),
          });
          out(
            f.json
              ? `${JSON.stringify(r)}\n`
              : `${r.replaced ? 'replaced' : 'added'} skill ${r.skill.name} (${r.files.length} files) in ${r.dir}\n`,
          );
          return EXIT.ok;
        }),
    },
    {
      name: 'ls',
      summary: 'every installed skill: its name, files and description',
      options: [json],
      run: ({ flags }) =>
        withKernel(async (client) => {
          const r = await client.request('skill_ls', {});
          out((flags as Flags).json ? `${JSON.stringify(r)}\n` : `${formatSkills(r.skills)}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'show',
      summary: 'one skill: its description, files and instructions',
      args: [['<name>', 'the skill']],
      options: [json],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const r = await client.request('skill_show', { name: name as string });
          out((flags as Flags).json ? `${JSON.stringify(r)}\n` : `${formatShow(r)}\n`);
          return EXIT.ok;
        }),
    },
    {
      name: 'rm',
      summary: 'remove a skill and its files',
      args: [['<name>', 'the skill']],
      options: [json],
      run: ({ args: [name], flags }) =>
        withKernel(async (client) => {
          const r = await client.request('skill_rm', { name: name as string });
          out((flags as Flags).json ? `${JSON.stringify(r)}\n` : `removed skill ${r.skill.name}\n`);
          return EXIT.ok;
        }),
    },
  ],
};
