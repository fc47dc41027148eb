/**
 * The policy's cost sections, read here and spread into the policy's schema (safety/policy.ts):
 *   models:   the default ladder (`--model auto`), how long an escalation holds, SYS_ESCALATE's cap
 *   budgets:  spend over days and months, by unit, name, tree or the whole kernel (budgets.ts)
 *   privacy:  personal data detected in what is about to be sent, and what then (privacy.ts)
 *   work:     duplicate work and fan-out: children deduplicated, caps on children and descendants,
 *             how long idempotency keys are kept (kernel/proc/fan-out.ts, kernel/idempotency.ts)
 * Each model a ladder names is checked here as a root's model is; a bad one stops the policy.
 */
import path from 'node:path';
import { z } from 'zod';
import { param } from '../../sys/param.js';
import type { LadderRules } from '../sched/ladder.js';
import { budgetsSchema, toBudgetSpecs, type BudgetSpec } from './budget-spec.js';
import { privacySchema, toPrivacy, type PrivacyPolicy } from './privacy-spec.js';
import { resolveRungs } from '../../drivers/llm/rungs.js';
import { parseDuration } from '../../protocol/duration.js';

const modelsSchema = z
  .object({
    /** Cheapest first. */
    ladder: z.array(z.string().min(1).max(4096)).min(1).max(8).optional(),
    stick_turns: z.number().int().min(0).max(100).optional(),
    /** SYS_ESCALATE calls a process may make; 0 refuses them. */
    escalations: z.number().int().min(0).max(1_000).optional(),
  })
  .strict();

const workSchema = z
  .object({
    /** false: identical SPAWN_AGENTs each start a child (true by default). */
    dedup: z.boolean().optional(),
    /** A root's caps when its spawn gives none (a child's are never above its parent's). */
    max_children: z.number().int().min(0).max(param.maxChildren).optional(),
    max_live_descendants: z.number().int().min(0).max(param.maxProcesses).optional(),
    /** How long an idempotency key answers as the first time: `24h`, `7d`. */
    idempotency_ttl: z.string().min(1).optional(),
  })
  .strict();

export const COST_SECTIONS = {
  models: modelsSchema.optional(),
  budgets: budgetsSchema.optional(),
  privacy: privacySchema.optional(),
  work: workSchema.optional(),
};

type CostSections = { [K in keyof typeof COST_SECTIONS]?: z.infer<(typeof COST_SECTIONS)[K]> };

export interface CostPolicy {
  /** `--model auto`'s rungs, cheapest first, resolved; null when the policy names none. */
  ladder: string[] | null;
  ladderRules: LadderRules;
  /** SYS_ESCALATE calls a process may make. */
  escalations: number;
  budgets: BudgetSpec[];
  privacy: PrivacyPolicy | null;
  /** Identical live children are one (work.dedup). */
  dedup: boolean;
  /** A root's caps on fan-out when its spawn gives none. */
  work: { maxChildren?: number; maxLiveDescendants?: number };
  idempotencyTtlMs: number;
}

export const NO_COST_POLICY: CostPolicy = {
  ladder: null,
  ladderRules: {
    stickTurns: param.ladderStickTurns,
    lowHeadroom: param.ladderLowHeadroom,
    lateTurns: param.ladderLateTurns,
  },
  escalations: param.ladderEscalations,
  budgets: [],
  privacy: null,
  dedup: true,
  work: {},
  idempotencyTtlMs: param.idempotencyTtlMs,
};

/** The cost sections of a parsed policy (relative tapes are the policy file's neighbours). */
export function toCostPolicy(sections: CostSections, file: string): CostPolicy {
  const base = path.dirname(path.resolve(file));
  const m = sections.models;
  return {
    ladder: m?.ladder ? resolveRungs(m.ladder, base, `policy ${file}: models.ladder`) : null,
    ladderRules: {
      stickTurns: m?.stick_turns ?? param.ladderStickTurns,
      lowHeadroom: param.ladderLowHeadroom,
      lateTurns: param.ladderLateTurns,
    },
    escalations: m?.escalations ?? param.ladderEscalations,
    budgets: toBudgetSpecs(sections.budgets ?? [], file),
    privacy: sections.privacy ? toPrivacy(sections.privacy, base, file) : null,
    dedup: sections.work?.dedup ?? true,
    work: {
      ...(sections.work?.max_children === undefined ? {} : { maxChildren: sections.work.max_children }),
      ...(sections.work?.max_live_descendants === undefined
        ? {}
        : { maxLiveDescendants: sections.work.max_live_descendants }),
    },
    idempotencyTtlMs:
      sections.work?.idempotency_ttl === undefined
        ? param.idempotencyTtlMs
        : parseDuration(sections.work.idempotency_ttl, `policy ${file}: work.idempotency_ttl`),
  };
}
