import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { VERBS, verbsFor } from '../../cmd/verbs.js';

describe('the verb table', () => {
  it('each entry registers the command it is named after', async () => {
    for (const [name, load] of Object.entries(VERBS)) {
      const program = new Command('aos');
      (await load())(program, async () => undefined);
      expect(program.commands.map((c) => c.name())).toEqual([name]);
    }
  });

  it('loads only the verb being run, none for --version, all for help and typos', () => {
    expect(verbsFor(['ps', '--json'])).toEqual([VERBS.ps]);
    expect(verbsFor(['kernel', 'status'])).toEqual([VERBS.kernel]);
    expect(verbsFor(['--version'])).toEqual([]);
    expect(verbsFor(['-V'])).toEqual([]);
    const all = Object.values(VERBS);
    expect(verbsFor([])).toEqual(all);
    expect(verbsFor(['--help'])).toEqual(all);
    expect(verbsFor(['help', 'ps'])).toEqual(all);
    expect(verbsFor(['pss'])).toEqual(all);
    expect(verbsFor(['toString'])).toEqual(all);
  });
});
