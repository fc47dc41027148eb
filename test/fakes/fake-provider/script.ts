/**
 * A fake provider's behaviour as plain JSON, so it can run in a process of its own (remote.ts)
 * and a benchmark's kernel does not share its event loop with the server it measures. Agents are
 * told apart by the first word of their task (`fast`, `slow`, ...): their kind.
 */
import type { FakeBehavior, FakeRequestContext } from './types.js';
import type { FakeUsage } from './wire.js';

export const EXIT_REPLY = '[SYS_CALL::SYS_EXIT] {"code":0}';

export interface FakeScript {
  /** Reply latency per kind; `*` for any other kind. */
  latencyMs: Record<string, number>;
  /** Replies per conversation, the last one SYS_EXIT, per kind (`*` for the rest); unlimited when absent. */
  turns?: Record<string, number>;
  /** From this moment (Date.now()) every reply is SYS_EXIT: a fleet that runs for a while. */
  exitAt?: number;
  /** Served at once at most; more get 503. */
  maxConcurrent?: number;
  usage?: FakeUsage;
}

/** The agent's task without the kernel's `[TASK]` prefix. */
export function taskOf(ctx: FakeRequestContext): string {
  return ctx.messages[0]?.text.replace(/^\[TASK[^\]]*\]\s*/, '') ?? '';
}

function kindOf(ctx: FakeRequestContext): string {
  return taskOf(ctx).split(/\s/, 1)[0] ?? '';
}

function pick(table: Record<string, number> | undefined, kind: string): number | undefined {
  return table?.[kind] ?? table?.['*'];
}

/** Replies already given in this conversation. */
export function turnsDone(ctx: FakeRequestContext): number {
  return ctx.messages.filter((m) => m.role !== 'user').length;
}

export function behaviorOf(script: () => FakeScript): FakeBehavior {
  const now = script();
  return {
    usage: now.usage ?? { prompt: 200, output: 20 },
    maxConcurrent: now.maxConcurrent,
    latencyMs: (ctx) => pick(script().latencyMs, kindOf(ctx)) ?? 0,
    reply: (ctx) => {
      const s = script();
      const done = turnsDone(ctx);
      const turns = pick(s.turns, kindOf(ctx)) ?? Infinity;
      if (done + 1 >= turns || (s.exitAt !== undefined && Date.now() >= s.exitAt)) return EXIT_REPLY;
      return `step ${done}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${done}"}`;
    },
  };
}
