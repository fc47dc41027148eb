/**
 * `aos fork` (issue 35): a new root process from another's turn (kernel/fork.ts). Its method,
 * result and published --json schema; spread into METHODS, RESULTS and PUBLISHED with one line each.
 */
import { z } from 'zod';
import { FORK_RESULTS } from './fork-results.js';

const pid = z.number().int().positive();

export const FORK_METHODS = {
  /**
   * A new root process whose context is `pid`'s at turn `turn` (its first prompt is that turn's), the
   * workspace put back as it was then (refused, nothing changed, when a file was changed since by
   * another process); `model` switches the model from there, `append` adds a message to that prompt.
   * `cwd`: where a relative model path (a replay tape) is found.
   */
  fork: {
    params: z.strictObject({
      pid,
      turn: z.number().int().nonnegative(),
      model: z.string().min(1).max(512).optional(),
      append: z
        .string()
        .min(1)
        .max(64 * 1024)
        .optional(),
      cwd: z.string().min(1).max(4096).optional(),
      /** The caller's provider settings (settings.ts): a fork the kernel would run with other keys or base URLs than the caller's is refused, as a spawn is. */
      settings: z.record(z.string(), z.string()).optional(),
    }),
    result: FORK_RESULTS.fork,
  },
} as const;

export const FORK_VERB_SCHEMAS = {
  fork: z
    .object({
      pid: pid.describe('the new process'),
      from: pid.describe('the process it was forked from'),
      turn: z
        .number()
        .int()
        .nonnegative()
        .describe("the turn it begins at: its first prompt is the origin's prompt of that turn"),
      model: z.string(),
      files: z
        .array(z.object({ path: z.string(), action: z.enum(['restored', 'removed']) }))
        .describe('workspace files put back as they were at that turn'),
    })
    .describe('aos fork --json'),
} as const;
