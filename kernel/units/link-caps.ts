/**
 * Capabilities as the trigger graph's links read them (trigger-links.ts): each grant parsed once,
 * each set of them numbered and read once — what it may write, which units it may start, the first
 * `ask` rule it can meet. Its own file: the links ask these questions of every run's state, and a
 * set of 256 units shares a handful of capability sets, so the answers are kept here by set.
 */
import { parseCapability } from '../../sys/capabilities.js';
import { globsOverlap, headOf, namesEveryUnit } from './glob-overlap.js';

/** Kinds whose grants and rules are globs over `/`-separated names: compared by overlap, the rest by kind. */
const GLOB_KINDS = new Set(['fs.read', 'fs.write', 'mcp', 'net.fetch', 'thread']);

export interface Cap {
  kind: string;
  pattern: string | null;
  regex: RegExp | null;
  /** For fs grants: what every path it covers begins with (headOf). */
  head: string | null;
}

/** What the links ask of a set of capabilities, read once per set. */
export interface Held {
  parsed: Cap[];
  writes: Array<string | null>;
  starts: string[];
}

/** Whether a grant of `held` covers `wanted` (CapabilitySet's covers, with a path's head compared first). */
export function covers(held: Held, wanted: Cap): boolean {
  return held.parsed.some((cap) => {
    if (cap.kind !== wanted.kind) return false;
    if (cap.regex === null) return true;
    if (wanted.pattern === null) return false;
    if (cap.head !== null && wanted.head !== null && !wanted.head.startsWith(cap.head)) return false;
    return cap.regex.test(wanted.pattern);
  });
}

export class CapsRead {
  private readonly asked = new Map<number, string | null>();
  private readonly held = new Map<number, Held>();
  private readonly caps = new Map<string, Cap>();
  /** Each set of capabilities seen, by its sorted list: its number. */
  private readonly capsIds = new Map<string, number>();

  constructor(
    /** The policy's `ask` rules: what a run's calls may leave waiting for a person (and expire). */
    private readonly asks: ReadonlyArray<{ kind: string; pattern: string | null; text: string }>,
  ) {}

  /** The number of this set of capabilities (the same for the same set, in any order). */
  idOf(caps: readonly string[]): number {
    const key = [...caps].sort().join('\u0001');
    let id = this.capsIds.get(key);
    if (id === undefined) {
      id = this.capsIds.size;
      this.capsIds.set(key, id);
    }
    return id;
  }

  capOf(text: string): Cap {
    let cap = this.caps.get(text);
    if (!cap) {
      const parsed = parseCapability(text);
      cap = {
        ...parsed,
        head: parsed.pattern !== null && parsed.kind.startsWith('fs.') ? headOf(parsed.pattern) : null,
      };
      this.caps.set(text, cap);
    }
    return cap;
  }

  heldOf(state: { caps: readonly string[]; capsId: number }): Held {
    let held = this.held.get(state.capsId);
    if (!held) {
      const parsed = state.caps.map((c) => this.capOf(c));
      const writes = parsed.filter((c) => c.kind === 'fs.write').map((c) => c.pattern);
      const starts = parsed
        .filter((c) => c.kind === 'unit' && !namesEveryUnit(c.pattern))
        .map((c) => c.pattern as string);
      held = { parsed, writes, starts };
      this.held.set(state.capsId, held);
    }
    return held;
  }

  /** The first `ask` rule a run holding `caps` can meet, as written; null when none. */
  askOf(key: number, held: Held): string | null {
    const known = this.asked.get(key);
    if (known !== undefined) return known;
    let found: string | null = null;
    for (const rule of this.asks) {
      const meets = held.parsed.some(
        (cap) =>
          cap.kind === rule.kind &&
          (rule.pattern === null ||
            cap.pattern === null ||
            !GLOB_KINDS.has(rule.kind) ||
            globsOverlap(rule.pattern, cap.pattern)),
      );
      if (meets) {
        found = rule.text;
        break;
      }
    }
    this.asked.set(key, found);
    return found;
  }
}
