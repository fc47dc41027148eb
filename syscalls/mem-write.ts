import { z } from 'zod';
import { METADATA_KEY_PATTERN, RESERVED_METADATA_KEYS } from '../sys/driver-api.js';
import { AosError } from '../sys/errno.js';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

const metadataValue = z.union([z.string().max(param.memMaxMetadataValueChars), z.number().finite(), z.boolean()], {
  error: 'metadata values must be a string, a number or a boolean',
});

export const metadataSchema = z.record(z.string(), metadataValue).superRefine((metadata, ctx) => {
  const keys = Object.keys(metadata);
  if (keys.length > param.memMaxMetadataKeys) {
    ctx.addIssue({ code: 'custom', message: `at most ${param.memMaxMetadataKeys} metadata keys (got ${keys.length})` });
  }
  for (const key of keys) {
    if (RESERVED_METADATA_KEYS.includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `metadata key "${key}" is reserved: the kernel sets ${RESERVED_METADATA_KEYS.join(', ')}`,
      });
    } else if (!METADATA_KEY_PATTERN.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `metadata key "${key.slice(0, 80)}" must be 1-64 letters, digits, _ . - starting with a letter or _`,
      });
    }
  }
});

export default defineSyscall({
  name: 'MEM_WRITE',
  aliases: ['MEMORY_WRITE', 'MEM_STORE'],
  summary:
    "Store a memory (a fact, a note) in your process tree's memory, shared with your parent and children. " +
    'Writing an existing key replaces that memory; without a key, a text the memory already holds (exactly) answers with that memory\'s id and "deduped": true. metadata: flat string/number/boolean values, filterable with MEM_READ where; ' +
    'the kernel adds pid, ts and key. shared: true writes to the global memory instead.',
  returns: '{id, deduped?}',
  args: z
    .object({
      text: z.string().min(1).max(param.memMaxTextChars),
      key: z.string().min(1).max(param.memMaxKeyChars).optional(),
      metadata: metadataSchema.optional(),
      shared: z.boolean().optional(),
    })
    .strict(),
  // The seed spells the text `value`.
  normalize: (raw) => {
    if ('text' in raw) return raw;
    for (const alias of ['value', 'content']) {
      if (alias in raw) {
        const { [alias]: text, ...rest } = raw;
        return { ...rest, text };
      }
    }
    return raw;
  },
  capability: {
    label: 'mem (mem.shared with shared: true)',
    kind: 'mem',
    of: (args) => (args.shared ? 'mem.shared' : 'mem'),
  },
  run: (args, ctx) =>
    ctx.drivers.memory
      .write({ text: args.text, key: args.key, metadata: args.metadata, shared: args.shared })
      .catch((error: unknown) => {
        // The store may have taken the write after we stopped waiting: say so, and that a retry is safe.
        if (error instanceof AosError && (error.code === 'ETIMEDOUT' || error.code === 'EINTR')) {
          throw new AosError(
            error.code,
            `${error.message}; the memory may have been written: MEM_READ to check, or write it again (the same text${args.key === undefined ? '' : ' and key'} lands once)`,
          );
        }
        throw error;
      }),
});
