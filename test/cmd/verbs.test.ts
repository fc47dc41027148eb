/** The verb table: each entry declares the verb it is named after, with flags the parser can read. */
import { describe, expect, it } from 'vitest';
import { programCommand } from '../../cmd/cli-program.js';
import type { VerbSpec } from '../../cmd/verb.js';
import { allVerbs, verbLoader, VERBS } from '../../cmd/verbs.js';

function walk(spec: VerbSpec, visit: (spec: VerbSpec) => void): void {
  visit(spec);
  for (const sub of spec.subcommands ?? []) walk(sub, visit);
}

describe('the verb table', () => {
  it('each entry declares the verb it is named after, and every verb either runs or has subcommands', async () => {
    for (const [name, load] of Object.entries(VERBS)) {
      const spec = await load();
      expect(spec.name).toBe(name);
      walk(spec, (s) => {
        expect(s.summary.length, s.name).toBeGreaterThan(0);
        expect(s.run !== undefined || (s.subcommands?.length ?? 0) > 0, s.name).toBe(true);
      });
    }
  });

  it('builds as commander commands: each long flag once per verb, no -h of its own, arguments in a readable order', async () => {
    const verbs = await allVerbs();
    const program = programCommand(verbs, async () => verbs, { code: 0, ran: null }, { version: '0', after: '' });
    const walkCommands = (command: typeof program, visit: (c: typeof program) => void): void => {
      visit(command);
      for (const sub of command.commands) walkCommands(sub, visit);
    };
    walkCommands(program, (c) => {
      const longs = c.options.map((o) => o.long);
      expect(new Set(longs).size, c.name()).toBe(longs.length);
      expect(longs, c.name()).not.toContain('--help');
      const args = c.registeredArguments;
      // Only the last argument may be variadic, and no required one follows an optional one.
      args.slice(0, -1).forEach((a) => expect(a.variadic, c.name()).toBe(false));
      args.forEach((a, i) => expect(!a.required || args.slice(0, i).every((b) => b.required), c.name()).toBe(true));
    });
    expect(program.commands.map((c) => c.name()).filter((n) => n !== 'help')).toEqual(Object.keys(VERBS));
  });

  it('finds only its own verbs', () => {
    expect(verbLoader('ps')).toBe(VERBS.ps);
    expect(verbLoader('pss')).toBeUndefined();
    expect(verbLoader('toString')).toBeUndefined();
    expect(verbLoader('__proto__')).toBeUndefined();
  });
});
