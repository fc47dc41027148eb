/** The dashboard's data, kept current from the kernel's pushed events: pure functions, no I/O. */
import type { KernelEvent } from '../../protocol/events.js';
import type { TextPiece } from '../../protocol/live-text.js';
import type { KernelStats, ProcRow } from '../../protocol/views.js';
import { EMPTY_TREND, sampleTrend, type Trend } from './trend.js';
import { moveCount, spawnedRow, updateRow } from './row-update.js';

/** Tokens/s is averaged over this window of model-event usage. */
export const RATE_WINDOW_MS = 10_000;
/** Log lines kept for the selected process. */
export const LOG_KEEP = 500;
/** Characters kept of the reply being written (the pane shows its newest words). */
const WRITING_KEEP = 4_000;

export interface TokenSample {
  t: number;
  tokens: number;
}

export interface LogState {
  pid: number;
  events: readonly KernelEvent[];
  /** History not loaded yet: live events are kept and merged when it arrives. */
  loading: boolean;
  /** The reply it is writing now (streamed), until that turn's `model` event. */
  writing?: { turn: number; text: string };
}

export interface TopState {
  rows: ReadonlyMap<number, ProcRow>;
  samples: ReadonlyMap<number, readonly TokenSample[]>;
  stats: KernelStats | null;
  /** Local clock when `stats` arrived, so uptime keeps counting between pushes. */
  statsAt: number;
  /** When observation began: tok/s divides by less than the window until it has been full once. */
  since: number;
  /** An event named a pid the table does not know (or a new process): fetch `processes()`. */
  needsRefresh: boolean;
  /** Bumped whenever a refresh is asked for; a reply only settles the requests made before it was sent. */
  refreshSeq: number;
  /** Kernel cost moved: events carry no cost, so rows catch up on a slower refresh. */
  costStale: boolean;
  log: LogState | null;
  error: string | null;
  loaded: boolean;
  /** Sparkline history, sampled on every stats push. */
  trend: Trend;
}

export type TopAction =
  | { type: 'snapshot'; processes: ProcRow[]; stats: KernelStats; now: number }
  | { type: 'events'; events: readonly KernelEvent[] }
  | { type: 'stats'; stats: KernelStats; now: number }
  | { type: 'processes'; processes: ProcRow[]; seq?: number }
  | { type: 'refresh' }
  | { type: 'select-log'; pid: number | null }
  | { type: 'history'; pid: number; events: readonly KernelEvent[] }
  | { type: 'error'; message: string | null }
  | { type: 'text'; piece: TextPiece };

export function initialState(now: number): TopState {
  return {
    rows: new Map(),
    samples: new Map(),
    stats: null,
    statsAt: now,
    since: now,
    needsRefresh: false,
    refreshSeq: 0,
    costStale: false,
    log: null,
    error: null,
    loaded: false,
    trend: EMPTY_TREND,
  };
}

export function topReducer(state: TopState, action: TopAction): TopState {
  switch (action.type) {
    case 'snapshot': {
      // Keeps needsRefresh: a refresh asked for before the snapshot (e.g. `--all`) still has to run.
      const next = {
        ...applyProcesses(state, action.processes),
        needsRefresh: state.needsRefresh,
        stats: action.stats,
        statsAt: action.now,
        error: null,
        loaded: true,
      };
      return { ...next, trend: sampleNow(next, action.now) };
    }
    case 'events':
      return applyEvents(state, action.events);
    case 'stats':
      // Stats arriving means the kernel is reachable again.
      return {
        ...state,
        // A node of the cluster died, joined or adopted trees: rows may now be on another node (NODE), read them again.
        needsRefresh:
          state.needsRefresh || (state.stats !== null && nodesShape(state.stats) !== nodesShape(action.stats)),
        stats: action.stats,
        statsAt: action.now,
        error: null,
        costStale: state.costStale || (state.stats !== null && state.stats.cost !== action.stats.cost),
        trend: sampleNow({ ...state, stats: action.stats }, action.now),
      };
    case 'processes':
      return applyProcesses(state, action.processes, action.seq);
    case 'refresh':
      return { ...state, needsRefresh: true, refreshSeq: state.refreshSeq + 1 };
    case 'select-log':
      if (action.pid === null) return { ...state, log: null };
      return state.log?.pid === action.pid ? state : { ...state, log: { pid: action.pid, events: [], loading: true } };
    case 'history':
      return applyHistory(state, action.pid, action.events);
    case 'error':
      return { ...state, error: action.message };
    case 'text':
      return applyText(state, action.piece);
  }
}

/** The cluster's nodes as far as where processes are goes: who is live, under which epoch, and what each adopted. */
function nodesShape(stats: KernelStats): string {
  return (stats.cluster?.nodes ?? []).map((n) => `${n.name}/${n.state}/${n.epoch}/${n.adopted}`).join(',');
}

/** Only the selected process's reply is kept as it is written: other pieces change nothing (no render). */
function applyText(state: TopState, piece: TextPiece): TopState {
  const { log } = state;
  if (log?.pid !== piece.pid) return state;
  const same = log.writing?.turn === piece.turn;
  const text = `${same ? (log.writing?.text ?? '') : ''}${piece.text}`.slice(-WRITING_KEEP);
  return { ...state, log: { ...log, writing: { turn: piece.turn, text } } };
}

/** Whether `event` ends the reply being written (its `model` event, a retry that starts it over, the end of the process). */
function endsWriting(writing: LogState['writing'], event: KernelEvent): boolean {
  if (writing === undefined) return false;
  if (event.type === 'model' || event.type === 'retry') return event.turn >= writing.turn;
  return event.type === 'state' && (event.to === 'exited' || event.to === 'killed');
}

function withWriting(log: LogState, writing: LogState['writing']): LogState {
  if (writing === undefined) delete log.writing;
  else log.writing = writing;
  return log;
}

export function applyEvent(state: TopState, event: KernelEvent): TopState {
  return applyEvents(state, [event]);
}

/** Folds a batch into one copy of the maps, so a burst of events costs one copy, not one per event. */
export function applyEvents(state: TopState, events: readonly KernelEvent[]): TopState {
  if (events.length === 0) return state;
  const rows = new Map(state.rows);
  const samples = new Map(state.samples);
  const stats = state.stats ? { ...state.stats, processes: { ...state.stats.processes } } : null;
  let refreshSeq = state.refreshSeq;
  let logEvents: KernelEvent[] | null = null;
  let writing = state.log?.writing;
  for (const event of events) {
    if (state.log && event.pid === state.log.pid) {
      (logEvents ??= [...state.log.events]).push(event);
      if (endsWriting(writing, event)) writing = undefined;
    }
    const row = rows.get(event.pid);
    if (event.type === 'state' && event.from === null) {
      if (row) continue; // already in the snapshot
      refreshSeq++;
      rows.set(event.pid, spawnedRow(event));
      if (stats) stats.processes[event.to]++;
      continue;
    }
    if (!row) {
      refreshSeq++;
      continue;
    }
    const next = updateRow(row, event);
    if (next !== row) rows.set(event.pid, next);
    if (event.type === 'state' && stats && event.from !== null) moveCount(stats.processes, event.from, event.to);
    if (event.type === 'model' && event.usage) {
      const tokens = event.usage.prompt + event.usage.output;
      const t = Date.parse(event.ts);
      const kept = (samples.get(event.pid) ?? []).filter((s) => s.t > t - RATE_WINDOW_MS);
      samples.set(event.pid, [...kept, { t, tokens }]);
      if (stats) {
        stats.prompt_tokens += event.usage.prompt;
        stats.output_tokens += event.usage.output;
      }
    }
  }
  const log =
    state.log && logEvents ? withWriting({ ...state.log, events: logEvents.slice(-LOG_KEEP) }, writing) : state.log;
  const needsRefresh = state.needsRefresh || refreshSeq !== state.refreshSeq;
  return { ...state, rows, samples, stats, needsRefresh, refreshSeq, log };
}

/** Replaces the table with the kernel's rows; token samples survive for pids still present. */
export function applyProcesses(state: TopState, processes: readonly ProcRow[], seq = state.refreshSeq): TopState {
  const rows = new Map(processes.map((row) => [row.pid, row] as const));
  const samples = new Map([...state.samples].filter(([pid]) => rows.has(pid)));
  return { ...state, rows, samples, needsRefresh: state.refreshSeq !== seq, costStale: false };
}

/** Merges fetched history with live events that arrived while it was loading (no duplicates). */
export function applyHistory(state: TopState, pid: number, history: readonly KernelEvent[]): TopState {
  if (!state.log || state.log.pid !== pid) return state;
  const last = history[history.length - 1]?.ts ?? '';
  const seen = new Set(history.filter((e) => e.ts === last).map((e) => JSON.stringify(e)));
  const live = state.log.events.filter((e) => e.ts > last || (e.ts === last && !seen.has(JSON.stringify(e))));
  return {
    ...state,
    log: withWriting({ pid, events: [...history, ...live].slice(-LOG_KEEP), loading: false }, state.log.writing),
  };
}

/** Tokens per second over the last RATE_WINDOW_MS (or since observation began, if shorter). */
export function tokenRate(state: TopState, pid: number, now: number): number {
  const samples = state.samples.get(pid);
  if (!samples?.length) return 0;
  const from = now - RATE_WINDOW_MS;
  let tokens = 0;
  for (const s of samples) if (s.t > from) tokens += s.tokens;
  const seconds = Math.max(1, Math.min(RATE_WINDOW_MS, now - state.since) / 1000);
  return tokens / seconds;
}

export function totalRate(state: TopState, now: number): number {
  let sum = 0;
  for (const pid of state.samples.keys()) sum += tokenRate(state, pid, now);
  return sum;
}

/** The trend with a sample taken now (kernel and per-row tokens/s, kernel cost); `state` is unchanged. */
export function sampleNow(state: TopState, now: number): Trend {
  if (!state.stats) return state.trend;
  const procs = new Map([...state.rows.keys()].map((pid) => [pid, tokenRate(state, pid, now)] as const));
  return sampleTrend(state.trend, { at: now, rate: totalRate(state, now), cost: state.stats.cost, procs });
}
