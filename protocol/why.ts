/**
 * `aos why <pid> <turn>` (issue 49.4): for each call of one turn, what the process's context held
 * from outside the operator and which rule decided. Made from what the daemon already answers — the
 * process's events (`logs`), its audit rows (`audit`) and its taint (`inspect`) — so the CLI, MCP and
 * the web view explain a turn alike, and nothing in the kernel keeps a second record of it.
 *
 * The context's outside content is read from the kernel messages the model was given up to that
 * turn (`prompt` events): every frame the kernel made (sys/outside-data.ts) names its source and
 * detail in its header, and the content inside a frame cannot spell a header (it is neutralised), so
 * each header found is one the kernel wrote. Frames shown before the taint last ended (a compaction
 * that left none verbatim) are not in the context of a later turn.
 */
import type { KernelEvent } from './events.js';
import type { TaintShown } from './taint-show.js';

/** An audit row as the `audit` method answers it: the fields this view reads. */
export interface WhyAuditRow {
  id: number;
  ts: string;
  call: string;
  subject: string;
  decision: string;
  rule: string | null;
  decided_by: string;
  via: string | null;
  reason: string | null;
  approval: string | null;
}

export interface WhyFrame {
  source: string;
  detail: string;
  /** The turn whose kernel message showed it. */
  turn: number;
}

export interface WhyCall {
  seq: number;
  name: string;
  args: Record<string, unknown>;
  /** null while it has no result (running, parked on an approval, cut by a restart). */
  result: { ok: boolean; errno?: string; message?: string } | null;
  /** The policy's decisions on this call (its audit rows): rule, who decided, the taint noted then. */
  decisions: WhyAuditRow[];
}

export interface WhyView {
  pid: number;
  turn: number;
  /** Outside content in the context the model answered in this turn, oldest first. */
  frames: WhyFrame[];
  calls: WhyCall[];
  /** Decisions of this turn's time that no call of it names (a parent's spawn of it, an approval's answer). */
  other: WhyAuditRow[];
  /** The process's taint now (inspect's): its sources name the turn each came in. */
  taint: TaintShown | null;
}

/**
 * A kernel-made frame header: `[OUTSIDE-DATA od-… from net "https://…"]`, as it is or inside a result's
 * JSON (its quotes escaped once or more: the same run of backslashes before each).
 */
const HEADER = /\[OUTSIDE-DATA od-[a-z0-9]{16} from ([^ \]"\\]{1,40}) (\\*)"(.*?)\2"\]/g;

function framesIn(text: string, turn: number): WhyFrame[] {
  return [...text.matchAll(HEADER)].map((m) => ({
    source: m[1] ?? '',
    detail: (m[3] ?? '').replace(/\\+(.)/g, '$1'),
    turn,
  }));
}

/** The explanation of `turn` of process `pid`, from its events (oldest first), audit rows and taint. */
export function explainTurn(
  pid: number,
  turn: number,
  events: readonly KernelEvent[],
  audit: readonly WhyAuditRow[],
  taint: TaintShown | null,
): WhyView {
  const mine = events.filter((e) => e.pid === pid);
  const turnOf = (e: KernelEvent): number | null => ('turn' in e && typeof e.turn === 'number' ? e.turn : null);
  const endedAt = taint?.ended?.at ?? null;
  const frames: WhyFrame[] = [];
  for (const e of mine)
    if (e.type === 'prompt' && e.turn <= turn && (endedAt === null || taint?.tainted || e.ts > endedAt))
      frames.push(...framesIn(e.text, e.turn));

  const calls: WhyCall[] = [];
  for (const e of mine) {
    if (turnOf(e) !== turn) continue;
    if (e.type === 'syscall') calls.push({ seq: e.seq, name: e.name, args: e.args, result: null, decisions: [] });
    if (e.type === 'result') {
      const c = calls.find((x) => x.seq === e.seq);
      if (c)
        c.result = { ok: e.ok, ...(e.errno ? { errno: e.errno } : {}), ...(e.message ? { message: e.message } : {}) };
    }
  }

  // The turn's time: from its first event to the next turn's first (or now): its decisions fall inside.
  const first = mine.find((e) => turnOf(e) === turn)?.ts ?? null;
  const next = mine.find((e) => (turnOf(e) ?? -1) > turn)?.ts ?? null;
  // Times are to the millisecond: a row stamped the instant the next turn began is this turn's only
  // while one of its calls of that name still waits for a final answer (a denial, then the next prompt).
  const inTurn = audit.filter((r) => first !== null && r.ts >= first && (next === null || r.ts <= next));
  const other: WhyAuditRow[] = [];
  for (const row of inTurn) {
    // A row belongs to the first call of its name still waiting for its answer (each call is decided in order).
    const named = calls.filter((c) => c.name === row.call);
    // An answer (approved, denied, expired…) answers an ask: a call of this turn that was asked.
    const answer = !['allow', 'propose', 'ask', 'deny'].includes(row.decision);
    const open = named.find(
      (c) =>
        !c.decisions.some((d) => isFinal(d.decision)) && (!answer || c.decisions.some((d) => d.decision === 'ask')),
    );
    // At either edge, a row no call of this turn waits for is the neighbouring turn's.
    if (!open && (row.ts === next || row.ts === first)) continue;
    const target = open ?? named.at(-1);
    if (target) target.decisions.push(row);
    else other.push(row);
  }
  return { pid, turn, frames, calls, other, taint };
}

/** A decision after which no other for the same call follows (an `ask` is followed by its answer). */
function isFinal(decision: string): boolean {
  return decision !== 'ask';
}
