/**
 * The skills interceptor: its part of a process's system prompt lists the installed skills the
 * process may see (capability skill:<name-glob>) by name and description (context/skills-prompt.ts),
 * within param.skillsPromptChars. Installed while the kernel holds a skill (model-chain.ts, its
 * table); a process that may see none gets no line.
 */
import { formatSkills } from '../context/skills-prompt.js';
import type { Proc } from '../proc/proc.js';
import type { ModelInterceptor } from './host.js';

export interface SkillsHost {
  /** Whether any skill is installed (else the interceptor is not). */
  readonly anySkills: boolean;
  /** The installed skills `caps` may see, by name. */
  visibleSkills(caps: readonly string[]): ReadonlyArray<{ name: string; description: string }>;
}

export function skillsContext(host: SkillsHost): ModelInterceptor {
  return {
    system: (proc: Proc) => formatSkills(host.visibleSkills(proc.pcb.capabilities)),
  };
}
