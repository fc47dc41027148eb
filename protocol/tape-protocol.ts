/**
 * Protocol methods of replay tapes made from runs (issue 35): `record` keeps an ended run as a tape,
 * `eval` plays recorded tapes to models. Spread into METHODS (protocol.ts) with one line;
 * `aos record` and `aos eval` call them.
 */
import { z } from 'zod';
import { TAPE_RESULTS as R } from './tape-results.js';

const pid = z.number().int().positive();

export const TAPE_METHODS = {
  /**
   * The tape (YAML text) of an ended process and, unless `tree` is false, its descendants: one agent
   * per process name (two of one name whose replies differ are refused, EINVAL). EBUSY while one runs.
   */
  record: { params: z.strictObject({ pid, tree: z.boolean().optional() }), result: R.record },
  /**
   * Each tape (a host path; relative ones against `cwd`) played to each model, one run per pair:
   * where the model's calls first differ from the recording's, how it ended, its tokens and cost
   * beside the recording's. No call is run. A tape without a recorded run is refused (EINVAL).
   */
  eval: {
    params: z.strictObject({
      tapes: z.array(z.string().min(1).max(4096)).min(1).max(64),
      models: z.array(z.string().min(1).max(4096)).min(1).max(16),
      cwd: z.string().optional(),
      /** The caller's provider settings (settings.ts): a model the kernel would ask with others is refused, as for spawn. */
      settings: z.record(z.string(), z.string()).optional(),
    }),
    result: R.eval,
  },
} as const;
