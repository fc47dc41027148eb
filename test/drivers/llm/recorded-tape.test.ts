/**
 * What `aos record` adds to a replay tape (issue 35), strictly shaped like the rest: an entry's
 * `sent` (replay ignores it) and the top-level `recorded`. Older tapes stay valid.
 */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseTape, replayTape } from '../../../drivers/llm/replay.js';

const RECORDED = {
  pid: 3,
  agent: 'root',
  model: 'openai:gpt-4o-mini',
  system: 'You are process 3',
  turns: 1,
  prompt_tokens: 10,
  output_tokens: 2,
  cost_usd: 0.001,
  ended: { state: 'exited', code: 0 },
};
const tape = (extra: Record<string, unknown>, entry: Record<string, unknown> = {}): string =>
  YAML.stringify({ agents: { root: [{ reply: '[SYS_CALL::SYS_EXIT] {}', sent: '[TASK] go', ...entry }] }, ...extra });

describe('a recorded tape', () => {
  it('reads sent and recorded', () => {
    const parsed = parseTape(tape({ recorded: RECORDED }), 'run.yaml');
    expect(parsed.agents.get('root')?.[0]).toMatchObject({
      reply: '[SYS_CALL::SYS_EXIT] {}',
      sent: '[TASK] go',
      expect: [],
    });
    expect(parsed.recorded).toEqual(RECORDED);
    // A killed run's code, and its reason.
    expect(
      parseTape(tape({ recorded: { ...RECORDED, ended: { state: 'killed', code: 137, reason: 'killed' } } }), 'r')
        .recorded?.ended,
    ).toEqual({ state: 'killed', code: 137, reason: 'killed' });
    expect(
      parseTape(tape({ recorded: { ...RECORDED, ended: { state: 'exited', code: null } } }), 'r').recorded?.ended.code,
    ).toBeNull();
  });

  it('keeps older tapes valid: no sent, no recorded', () => {
    const parsed = parseTape(YAML.stringify({ agents: { root: ['[SYS_CALL::SYS_EXIT] {}'] } }), 'old.yaml');
    expect(parsed.recorded).toBeUndefined();
    expect(parsed.agents.get('root')?.[0]).not.toHaveProperty('sent');
  });

  it('is refused when misshapen, naming the key', () => {
    expect(() => parseTape(tape({ recorded: { ...RECORDED, extra: 1 } }), 'r.yaml')).toThrow(
      /recorded \(line \d+\): unknown key "extra" \(allowed: pid, agent, model, system, turns, prompt_tokens, output_tokens, cost_usd, ended\)/,
    );
    expect(() => parseTape(tape({ recorded: { ...RECORDED, ended: { state: 'gone', code: 0 } } }), 'r.yaml')).toThrow(
      /recorded\.ended\.state/,
    );
    expect(() => parseTape(tape({ recorded: { ...RECORDED, pid: 0 } }), 'r.yaml')).toThrow(/recorded\.pid/);
    const { system: _system, ...withoutSystem } = RECORDED;
    expect(() => parseTape(tape({ recorded: withoutSystem }), 'r.yaml')).toThrow(/recorded\.system/);
    expect(() => parseTape(tape({}, { sent: 5 }), 'r.yaml')).toThrow(/agents\.root\[0\]\.sent/);
    expect(() => parseTape(tape({}, { sen: 'x' }), 'r.yaml')).toThrow(
      /unknown key "sen" \(allowed: reply, expect, usage, delay_ms, sent, system, context\)/,
    );
  });

  it('replays as before: sent is not what is expected', async () => {
    const driver = replayTape(parseTape(tape({ recorded: RECORDED }, { sent: 'something else entirely' }), 'r.yaml'));
    const reply = await driver.complete({
      system: '',
      messages: [{ role: 'user', text: '[TASK] go' }],
      proc: { pid: 1, name: 'root', turn: 0 },
      signal: new AbortController().signal,
    });
    expect(reply.text).toBe('[SYS_CALL::SYS_EXIT] {}');
  });
});
