/**
 * Skills (issue 53.1): what installed skills cost a process's system prompt, and a run where an
 * agent opens the one skill its task needs. In process, on a real kernel and replay tapes: the
 * system prompt of a process that may see none (no skill: capability) against one that may see
 * all `--skills` installed; the skills part stays within param.skillsPromptChars however many there
 * are; then an agent with the example skills opens csv-report alone and reads its script.
 *
 *   node --import tsx bench/skills.ts [--skills 100]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { estimateTokens } from '../kernel/context/context-budget.js';
import { Kernel } from '../kernel/kernel.js';
import { param } from '../sys/param.js';
import { writeManySkills } from '../test/helpers/skill-dirs.js';
import { figure, flag, report } from './report.js';

const n = Number(flag('skills', '100'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-skills-'));
const shelf = path.join(dir, 'skills');
await writeManySkills(shelf, n);
const open = (args: Record<string, unknown>): string => `[SYS_CALL::SKILL_OPEN] ${JSON.stringify(args)}`;
const tape = path.join(dir, 'tape.yaml');
await writeFile(
  tape,
  YAML.stringify({
    agents: {
      none: ['[SYS_CALL::SYS_EXIT] {"code":0}'],
      all: ['[SYS_CALL::SYS_EXIT] {"code":0}'],
      task: [open({ name: 'skill-042' }), { expect: '"body":"# skill-042', reply: '[SYS_CALL::SYS_EXIT] {"code":0}' }],
    },
  }),
);
const caps = ['fs.read:/**', 'fs.write:/**', 'exec'];
const kernel = await Kernel.create({
  workspace: path.join(dir, 'ws'),
  rootCapabilities: [...caps, 'skill:*'],
  skillsDir: shelf,
});
const systems = new Map<number, string>();
const opened: string[] = [];
kernel.events.subscribe((e) => {
  if (e.type === 'request' && e.system) systems.set(e.pid, e.system);
  if (e.type === 'syscall' && e.name === 'SKILL_OPEN') opened.push(String((e.args as { name?: string }).name));
});
const run = async (name: string, capabilities: string[]) => {
  const pcb = await kernel.spawn({ task: 'bench', model: `replay:${tape}`, name, capabilities });
  return kernel.waitExit(pcb.pid);
};
const none = await run('none', caps);
const all = await run('all', [...caps, 'skill:*']);
const task = await run('task', [...caps, 'skill:*']);
await kernel.shutdown();
await rm(dir, { recursive: true, force: true });

const tokens = (pid: number): number => estimateTokens(systems.get(pid) ?? '', []);
const part = (systems.get(all.pid) ?? '').split('\n\nSkills you may open')[1] ?? '';
const named = new Set(part.match(/skill-\d{3}/g)).size;
const bound = Math.ceil(param.skillsPromptChars / param.contextCharsPerToken) + 1;
report('skills', { skills: n, prompt_chars: param.skillsPromptChars }, [
  figure('skills.prompt_tokens_none', tokens(none.pid), 'tokens', 'system prompt of a process that may see no skill'),
  figure(
    'skills.prompt_tokens_added',
    tokens(all.pid) - tokens(none.pid),
    'tokens',
    `system prompt tokens ${n} installed skills add (names and descriptions, param.skillsPromptChars)`,
    { max: bound },
  ),
  figure('skills.named_share', named / n, 'share', `of ${n} skills, the share named in the system prompt`, {
    min: 0.8,
  }),
  figure(
    'skills.opened_by_task',
    task.exitCode === 0 && opened.length === 1 ? 1 : 0,
    'runs',
    'a replay agent opened the one skill its task needs (skill-042 of 100) and read its instructions',
    { min: 1 },
  ),
]);
