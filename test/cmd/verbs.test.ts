/** The verb table: each entry declares the verb it is named after, with flags the parser can read. */
import { describe, expect, it } from 'vitest';
import { argInfo, optionInfo } from '../../cmd/cli-parse.js';
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

  it('declares options and arguments the parser reads, each long flag once per verb', async () => {
    for (const spec of await allVerbs()) {
      walk(spec, (s) => {
        const longs = (s.options ?? []).map((o) => optionInfo(o).long);
        expect(new Set(longs).size, s.name).toBe(longs.length);
        expect(longs, s.name).not.toContain('help');
        const args = (s.args ?? []).map(([syntax]) => argInfo(syntax));
        // Only the last argument may be variadic, and no required one follows an optional one.
        args.slice(0, -1).forEach((a) => expect(a.variadic, s.name).toBe(false));
        args.forEach((a, i) => expect(!a.required || args.slice(0, i).every((b) => b.required), s.name).toBe(true));
      });
    }
  });

  it('finds only its own verbs', () => {
    expect(verbLoader('ps')).toBe(VERBS.ps);
    expect(verbLoader('pss')).toBeUndefined();
    expect(verbLoader('toString')).toBeUndefined();
    expect(verbLoader('__proto__')).toBeUndefined();
  });
});
