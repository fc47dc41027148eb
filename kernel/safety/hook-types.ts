/**
 * What a policy hook is once loaded (hooks-policy.ts reads it, hooks.ts runs it), in a file of its
 * own so the policy's types (policy-rules.ts) can name it without importing the matchers that
 * import them.
 */

export type HookWhen = 'before' | 'after';

/** One glob of a hook's `match:` on a call's named argument (hook-match.ts). */
export interface ArgMatch {
  readonly arg: string;
  readonly pattern: string;
  /** For `path` and `host`: the compiled pattern, which the drivers also hold where a symlink or a redirect leads (hookRules). */
  readonly subjectRegex?: RegExp;
  test(capability: string | null, args: Record<string, unknown>): boolean;
}

export interface PolicyHook {
  readonly name: string;
  readonly when: HookWhen;
  /** Canonical syscall names. */
  readonly calls: ReadonlySet<string>;
  /** Every one must match; none: every call of `calls`. */
  readonly match: readonly ArgMatch[];
  /** The program (an absolute host path) and its arguments. */
  readonly argv: readonly string[];
  readonly timeoutMs: number;
}
