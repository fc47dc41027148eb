/** A unit file's mistakes are told all at once, each with its line, as the policy checker tells a policy's (issue 51.4). */
import { describe, expect, it } from 'vitest';
import { parseUnit, toUnit } from '../../../kernel/units/spec.js';

const FILE = [
  'name: Nightly Digest', // 1: not a name
  'task: sum up the day',
  'on_overlap: sometimes', // 3: not a policy
  'restart_backoff: soon', // 4: not a duration (told although the fields above are wrong)
  'colour: blue', // 5: no such field
  'triggers:',
  '  - every: 1h',
  '  - cron: "* * *"', // 8: three fields
  '  - at: tomorrow', // 9: not an ISO time
  '',
].join('\n');

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('not refused');
}

describe('unit file mistakes', () => {
  it('are all named at once, each with its line', () => {
    const message = problemOf(() => parseUnit(FILE, 'digest.yaml'));
    const lines = message.split('\n');
    expect(lines[0]).toBe('digest.yaml: not a valid unit: 6 problems:');
    // In the file's order, whatever stage found each.
    expect(lines.slice(1).map((l) => l.trim().replace(/^(line \d+): (\S+).*$/, '$1: $2'))).toEqual([
      'line 1: name:',
      'line 3: on_overlap:',
      'line 4: restart_backoff',
      'line 5: (unit):',
      'line 8: triggers[1]:',
      'line 9: triggers[2]:',
    ]);
    expect(message).toContain('line 8: triggers[1]: cron "* * *" must have five fields');
    expect(message).toContain('line 9: triggers[2]: at "tomorrow" is not an ISO time');
    expect(message).toMatch(/line 5: \(unit\): Unrecognized key.*colour/);
  });

  it('a file whose fields are right is told its later mistakes together, with lines', () => {
    const text = 'name: digest\ntask: t\nrestart_backoff: soon\nmax_time: forever\nworkdir: ../out\n';
    const message = problemOf(() => parseUnit(text, 'u.yaml'));
    expect(message).toMatch(/^u\.yaml: not a valid unit: 3 problems:\n {2}line 3: restart_backoff/);
    expect(message).toMatch(/\n {2}line 4: max_time/);
    expect(message).toMatch(/\n {2}line 5: workdir "\.\.\/out": path escapes the workspace/);
  });

  it('one mistake reads as before, and a parsed document (no text) is told every mistake without lines', () => {
    expect(problemOf(() => toUnit({ name: 'x', task: 't', triggers: [{ cron: '61 * * * *' }] }))).toMatch(
      /^not a valid unit: triggers\[0\]: cron "61 \* \* \* \*": .*minute/,
    );
    expect(problemOf(() => toUnit({ name: 'Bad Name', task: 't', on_overlap: 'x' }))).toMatch(
      /^not a valid unit: 2 problems:\n {2}name: .*\n {2}on_overlap: /,
    );
  });
});
