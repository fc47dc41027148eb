import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall, shape } from './define.js';
import { threadKey } from './thread-open.js';

export default defineSyscall({
  name: 'SPAWN_AGENT',
  aliases: ['SPAWN'],
  summary:
    'Start a child agent; role is its prompt (a label, or whole instructions within a quarter of its context). ' +
    'It gets only the permissions you list that you also hold (default: all of yours; capabilities, or syscall names standing for what each call needs), ' +
    'and your model unless you hold "model:<provider>:<name>" for another (a bare name like gemini-2.5-flash means gemini:gemini-2.5-flash; replay:<path> is a workspace tape). ' +
    'pipe_to routes its SYS_WRITE_STDOUT to that pid\'s stdin ("parent" for you). workdir: its working directory, relative to yours (default yours). ' +
    'The same call while such a child lives returns it ("deduped": true; dedup: false starts another); key: an idempotency key (the same key and arguments answer as the first time). ' +
    'max_children / max_live_descendants cap its own fan-out (never above yours). ' +
    'attach: context threads (keys) whose summary and newest entries it is shown from its first turn (a handoff; it needs thread:<key>, which you must hold). ' +
    'With unit (needs "unit:<name>"), the child is that declared unit: its role, model, capabilities and budgets, within yours; task and name are yours to give or its own.',
  returns: '{pid, deduped?, replayed?}',
  args: z
    .object({
      role: z.string().min(1).max(param.maxRoleChars).optional(),
      unit: z.string().min(1).max(63).optional(),
      task: z.string().max(param.maxMessageBytes).optional(),
      name: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64 chars)')
        .optional(),
      model: z.string().min(1).optional(),
      permissions: z.array(z.string()).max(64).optional(),
      pipe_to: z.union([z.number().int().positive(), z.literal('parent')]).optional(),
      priority: z.number().int().min(param.minPriority).max(param.maxPriority).optional(),
      max_turns: z.number().int().min(1).max(10_000).optional(),
      max_tokens: z.number().int().positive().optional(),
      max_cost: z.number().positive().optional(),
      max_wall_s: z.number().positive().optional(),
      workdir: z.string().min(1).max(param.fsMaxPathLength).optional(),
      max_children: z.number().int().min(0).max(param.maxChildren).optional(),
      max_live_descendants: z.number().int().min(0).max(param.maxProcesses).optional(),
      dedup: z.boolean().optional(),
      key: z.string().min(1).max(200).optional(),
      attach: z.array(threadKey).min(1).max(param.threadMaxAttached).optional(),
    })
    .strict()
    .refine((a) => a.role !== undefined || a.unit !== undefined, {
      message: 'role is required (or unit)',
      path: ['role'],
    }),
  normalize: (raw) => {
    const named =
      'capabilities' in raw && !('permissions' in raw) ? renameKey(raw, 'capabilities', 'permissions') : raw;
    // One thread is often written as its key alone.
    return typeof named.attach === 'string' ? { ...named, attach: [named.attach] } : named;
  },
  inKernel: true,
  capability: {
    label: 'spawn (unit:<name> with unit)',
    kind: 'spawn',
    of: (args) => (args.unit === undefined ? 'spawn' : `unit:${args.unit}`),
  },
  // Synchronous when the child's model is loaded (the usual case).
  run: (args, ctx) => {
    const request = {
      role: args.role ?? '',
      ...(args.unit === undefined ? {} : { unit: args.unit }),
      task: args.task ?? '',
      name: args.name,
      model: args.model,
      capabilities: args.permissions,
      pipeTo: args.pipe_to === 'parent' ? ctx.pid : (args.pipe_to ?? null),
      priority: args.priority,
      maxTurns: args.max_turns,
      maxTokens: args.max_tokens,
      maxCost: args.max_cost,
      maxWallS: args.max_wall_s,
      workdir: args.workdir,
      maxChildren: args.max_children,
      maxLiveDescendants: args.max_live_descendants,
      dedup: args.dedup,
      key: args.key,
      ...(args.attach === undefined ? {} : { attach: args.attach }),
    };
    return ctx.proc.spawn(request);
  },
});

function renameKey(raw: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  const { [from]: value, ...rest } = raw;
  return { ...rest, [to]: value };
}
