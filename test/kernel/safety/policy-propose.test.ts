/** `propose` rules (issue 52.2) at load and per call: their window, where they ask instead, and how they rank. */
import { describe, expect, it } from 'vitest';
import { decideCall } from '../../../kernel/safety/policy-decide.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { param } from '../../../sys/param.js';

const head = 'version: 1\nroot: {capabilities: [exec, "fs.write:/**", "net.fetch:*.example.com"]}\n';
const load = (rules: string) => parsePolicy(`${head}rules:\n${rules}`, 'p.yaml').safety;

describe('propose rules', () => {
  it('takes the default window, or the rule’s own', () => {
    const { rules } = load('  - propose: "fs.write:/src/**"\n  - propose: "fs.write:/tmp/**"\n    window: 90s\n');
    expect(rules.map((r) => [r.verdict, r.windowS])).toEqual([
      ['propose', param.proposalWindowS],
      ['propose', 90],
    ]);
    expect(decideCall(rules, 'fs.write:/tmp/a', {})).toMatchObject({ verdict: 'propose', windowS: 90 });
    expect(decideCall(rules, 'fs.write:/docs/a', {})).toMatchObject({ verdict: 'allow', rule: null });
  });

  it('refuses a window that is no duration, zero, or past the longest, naming the rule and its line', () => {
    expect(() => load('  - propose: "fs.write:/src/**"\n    window: soon\n')).toThrow(
      /p\.yaml line 4: rule propose: "fs\.write:\/src\/\*\*": window must be a duration/,
    );
    expect(() => load('  - propose: "fs.write:/src/**"\n    window: 0s\n')).toThrow(/more than 0s and at most 7d/);
    expect(() => load('  - propose: "fs.write:/src/**"\n    window: 8d\n')).toThrow(/at most 7d \(got "8d"\)/);
    // A window belongs to a proposal only.
    expect(() => load('  - ask: "fs.write:/src/**"\n    window: 1m\n')).toThrow();
  });

  it('asks for a kind aos cannot undo, and says so in the rule and the notes', () => {
    const safety = load('  - propose: "exec:git push*"\n  - propose: "net.fetch:api.example.com"\n');
    expect(safety.rules.map((r) => [r.verdict, r.text])).toEqual([
      ['ask', 'propose: "exec:git push*" (asks: exec calls cannot be undone)'],
      ['ask', 'propose: "net.fetch:api.example.com" (asks: net.fetch calls cannot be undone)'],
    ]);
    expect(safety.notes.join('\n')).toMatch(/only fs\.write calls can be undone, so it asks/);
    expect(decideCall(safety.rules, 'net.fetch:api.example.com', {})).toMatchObject({ verdict: 'ask' });
  });

  it('ranks between allow and ask: an ask or deny on the same file wins, an allow does not', () => {
    const { rules } = load(
      '  - propose: "fs.write:/src/**"\n  - ask: "fs.write:/src/secret/**"\n  - deny: "fs.write:/src/lock"\n  - allow: "fs.write:/src/free/**"\n',
    );
    expect(decideCall(rules, 'fs.write:/src/a', {})?.verdict).toBe('propose');
    expect(decideCall(rules, 'fs.write:/src/secret/a', {})?.verdict).toBe('ask');
    expect(decideCall(rules, 'fs.write:/src/lock', {})?.verdict).toBe('deny');
    expect(decideCall(rules, 'fs.write:/src/free/a', {})?.verdict).toBe('propose');
  });
});
