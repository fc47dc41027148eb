/** The system prompt: a short role in its first line, as always; a long role (the seed's whole prompt) leads it. */
import { describe, expect, it } from 'vitest';
import { buildSystemPrompt } from '../../../kernel/context/context.js';
import { emptyCounters, type Pcb } from '../../../sys/types.js';

function pcbWith(role: string, name: string): Pcb {
  return {
    pid: 2,
    ppid: 1,
    name,
    role,
    task: '',
    model: 'replay:/t.yaml',
    priority: 0,
    capabilities: ['ipc'],
    pipeTo: null,
    createdAt: 0,
    state: 'ready',
    startedAt: null,
    endedAt: null,
    exitCode: null,
    exitReason: null,
    output: null,
    counters: emptyCounters(),
    limits: { maxTurns: 10, maxTokens: null, maxCost: null, maxWallS: null, contextTokens: 32_000 },
    wait: null,
    cwd: '/',
    unit: null,
    spawnKey: null,
  };
}

describe('buildSystemPrompt', () => {
  it('names a short role in its first line', () => {
    expect(buildSystemPrompt(pcbWith('worker', 'w1'))).toMatch(
      /^You are process 2 \("w1", role: worker\) running in aos/,
    );
  });

  it('puts a long role first, whole, and does not repeat it in the first line', () => {
    const role = 'You are a word counter.\nCount the words of every file you are sent and report the total.\n'.repeat(
      5,
    );
    const prompt = buildSystemPrompt(pcbWith(role, 'You are a word counter.'));
    expect(prompt.startsWith(`${role}\n\nYou are process 2 ("You are a word counter.") running in aos`)).toBe(true);
    expect(prompt.split(role)).toHaveLength(2);
  });
});
