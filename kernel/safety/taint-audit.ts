/**
 * The taint of every decision on the audit trail (issue 49): a decision about a process whose
 * context holds outside content says so in its `reason` — how many sources, and the first ones
 * (kind and detail) — so a reader of the trail sees which allows and approvals were given to a
 * process an outsider could have steered. In `reason`, which the row's keyed hash covers: the trail
 * keeps its columns and its chain, and the taint is as tamper-evident as the decision.
 */
import type { TaintState } from '../../sys/taint.js';
import type { AuditInput, AuditLog, AuditRow } from '../store/api.js';

/** What a reason says of a taint: `tainted by 2 outside sources: net https://…; channel tg/42`. */
export function taintNote(taint: Pick<TaintState, 'count' | 'sources'>): string {
  const named = taint.sources.slice(0, 3).map((s) => `${s.source} ${s.detail.slice(0, 120)}`);
  const more = taint.count - named.length;
  return `tainted by ${taint.count} outside source${taint.count === 1 ? '' : 's'}: ${named.join('; ')}${more > 0 ? `; +${more} more` : ''}`;
}

/** `audit` with each record of a tainted process noting its taint; `taintOf` null while nothing is tracked. */
export function taintedAudit(audit: AuditLog, taintOf: (pid: number) => TaintState | null | undefined): AuditLog {
  return {
    record(input: AuditInput): AuditRow {
      const taint = taintOf(input.pid);
      if (!taint?.tainted) return audit.record(input);
      const note = taintNote(taint);
      return audit.record({ ...input, reason: input.reason ? `${input.reason} (${note})` : note });
    },
    list: (query) => audit.list(query),
    verify: () => audit.verify(),
    page: (after, upto, limit) => audit.page(after, upto, limit),
    signExport: (after) => audit.signExport(after),
    awaited: audit.awaited,
  };
}
