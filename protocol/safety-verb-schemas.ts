/** The --json of `aos blame` and `aos audit export` (issue 52.4, 52.5), as zod schemas published by `aos schema`. */
import { z } from 'zod';

export const exportStatement = z.object({
  format: z.literal('aos-audit-export/1'),
  exported_at: z.string(),
  after: z.number().int().nonnegative(),
  first_id: z.number().int().nullable(),
  last_id: z.number().int().nullable(),
  rows: z.number().int().nonnegative(),
  head: z.string().nullable(),
  keyed_from: z.number().int(),
  digest: z.string(),
  key: z.string(),
});

export const SAFETY_VERB_SCHEMAS = {
  blame: z
    .object({
      path: z.string().describe('as agents see it'),
      at: z.string().nullable().describe('the time asked for with --at, or null for now'),
      exists: z.boolean(),
      lines: z
        .array(
          z.object({
            n: z.number().int().positive(),
            write: z
              .number()
              .int()
              .positive()
              .nullable()
              .describe('the write (journal id) that put it there; null: before the journal'),
            text: z.string(),
          }),
        )
        .nullable()
        .describe('null when the file is binary or too large'),
      writes: z.array(
        z.object({
          id: z.number().int().positive(),
          pid: z.number().int().positive(),
          turn: z.number().int().nonnegative(),
          ts: z.string(),
          call: z.string(),
          decision: z
            .object({
              audit_id: z.number().int().positive(),
              decision: z.string(),
              rule: z.string().nullable(),
              decided_by: z.string(),
              via: z.string().nullable(),
              approval: z.string().nullable(),
            })
            .nullable()
            .describe('the audit record of the rule or approval it ran under; null: its capability alone'),
          taint: z.unknown().describe("the writer's taint when it wrote (issue 49), or null"),
          lines: z.number().int().nonnegative(),
          changed_after: z.boolean().describe('changed outside aos after this write'),
        }),
      ),
    })
    .describe('aos blame PATH --json'),
  'audit-export': z
    .object({
      file: z.string(),
      rows: z.number().int().nonnegative(),
      first_id: z.number().int().nullable(),
      last_id: z.number().int().nullable(),
      head: z.string().nullable().describe('the keyed chain hash of the last record exported'),
      key: z.string().describe('the signing key fingerprint (ed25519:…)'),
      public_key_file: z.string().nullable(),
      exported_at: z.string(),
    })
    .describe('aos audit export --out FILE --json'),
};
