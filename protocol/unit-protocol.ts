/**
 * Protocol methods of units (issue 30): declared agents and the triggers that start them. Spread
 * into METHODS (protocol.ts) with one line; `aos unit …` calls them.
 */
import { z } from 'zod';
import { UNIT_RESULTS as R } from './unit-results.js';

const name = z.string().min(1).max(63);

export const UNIT_METHODS = {
  /**
   * Add a unit (its YAML, parsed), or with `replace` change the one of that name. With `dry_run`
   * nothing is kept: the answer says what its runs would hold and what the policy's root lacks
   * (`beyond`), which a real add refuses with EACCES, naming each.
   */
  unit_add: {
    params: z.strictObject({
      /** The unit, parsed; or `text`, its YAML (the kernel parses it: the CLI carries no YAML parser). */
      spec: z.unknown().optional(),
      text: z
        .string()
        .max(256 * 1024)
        .optional(),
      /** Where `text` came from (messages name it); a relative `replay:` tape in it is found beside it. */
      file: z.string().max(4096).optional(),
      replace: z.boolean().optional(),
      dry_run: z.boolean().optional(),
    }),
    result: R.unit_add,
  },
  /**
   * Install a unit package (`aos unit install`): a directory or a .tar.gz of one holding unit.yaml
   * and the files it names (tapes, prompts, MCP server declarations). The daemon reads it, keeps a
   * copy under $AOS_HOME/units/<name> and adds the unit from there; with `dry_run` only what it would
   * hold, where, and which of its MCP servers the kernel does not run.
   */
  unit_install: {
    params: z.strictObject({
      path: z.string().min(1).max(4096),
      dry_run: z.boolean().optional(),
      replace: z.boolean().optional(),
    }),
    result: R.unit_install,
  },
  /** Every unit: its triggers, next run, last run and its result, runs and skips. */
  unit_ls: { params: z.strictObject({}), result: R.unit_ls },
  /** One unit: as listed, with its declaration and what its runs hold. */
  unit_show: { params: z.strictObject({ name }), result: R.unit_show },
  /** One run now, by hand, under the unit's overlap policy. */
  unit_run: { params: z.strictObject({ name }), result: R.unit_run },
  /** Enable (counting its schedule from now) or disable (its triggers stop; runs going on go on). */
  unit_enable: { params: z.strictObject({ name, enabled: z.boolean() }), result: R.unit_enable },
  /** Remove a unit and the record of its runs; its runs going on go on, like every other process. */
  unit_rm: { params: z.strictObject({ name }), result: R.unit_rm },
  /**
   * `aos up` / `aos down`: a file of units (its YAML, and its path: units it names by `file:` and
   * relative replay tapes are found beside it) applied as a set — added, changed, and those it
   * listed before and no longer does removed; with `down`, every unit it applied is removed. With
   * `dry_run` only the plan.
   */
  unit_apply: {
    params: z.strictObject({
      text: z.string().max(1024 * 1024),
      file: z.string().min(1).max(4096),
      dry_run: z.boolean().optional(),
      down: z.boolean().optional(),
    }),
    result: R.unit_apply,
  },
  /** The newest firings of a unit (started, skipped, queued, failed), newest first. */
  unit_runs: {
    params: z.strictObject({ name, limit: z.number().int().positive().max(1_000).optional() }),
    result: R.unit_runs,
  },
} as const;
