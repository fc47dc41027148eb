/** Human-readable lines for kernel events (the `--json` twin prints the events as they are). */
import type { KernelEvent } from '../protocol/events.js';
import { describeEnd } from '../protocol/status.js';
import type { Style } from './style.js';
import { shortModel } from './top/format.js';
import { printable } from './printable.js';
import { escapeControl, showJson } from '../protocol/show-call.js';

export interface RenderOptions {
  paint: (style: Style, text: string) => string;
  verbose: boolean;
  width: number;
}

function oneLine(text: string, max: number): string {
  const flat = printable(text.replace(/\s+/g, ' ').trim());
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

/** `HTTP 503, retry 2/6 in 4.1 s` */
export function describeRetry(event: Extract<KernelEvent, { type: 'retry' }>): string {
  const what = event.status ? `HTTP ${event.status}` : event.kind.replace(/_/g, ' ');
  const where = event.endpoint === undefined ? '' : ` from ${escapeControl(event.endpoint)}`;
  return `${what}${where}, retry ${event.attempt}/${event.max} in ${(event.delay_ms / 1000).toFixed(1)} s`;
}

/** `system prompt (12319 chars), 5 messages`: what a turn's request held beyond its prompt. */
function describeRequest(event: Extract<KernelEvent, { type: 'request' }>): string {
  const parts = [
    ...(event.system === undefined ? [] : [`system prompt (${event.system.length} chars)`]),
    ...(event.messages === undefined ? [] : [`${event.messages.length} messages`]),
  ];
  return parts.join(', ');
}

/** `[unit nightly] started 14: every 30m, due 09:00:00Z (catch-up)` */
export function describeTrigger(
  event: Extract<KernelEvent, { type: 'trigger' }>,
  paint: RenderOptions['paint'],
): string {
  const colour = event.outcome === 'started' ? 'cyan' : event.outcome === 'failed' ? 'red' : 'yellow';
  const what = event.outcome === 'started' ? `started ${event.pid}` : event.outcome;
  const due = event.scheduled_for ? `, due ${event.scheduled_for}` : '';
  const catchUp = event.catch_up ? ' (catch-up)' : '';
  return `${paint('dim', `[unit ${event.unit}]`)} ${paint(colour, what)}: ${event.trigger}${due}${catchUp}${event.reason ? ` — ${event.reason}` : ''}`;
}

/** `unit:digest daily:2026-11-25 $0.81 of $1`: a budget event's count, spent against its limits. */
export function describeBudgetEvent(event: Extract<KernelEvent, { type: 'budget' }>): string {
  const usd = event.limit_usd === undefined ? '' : ` $${event.spent_usd.toFixed(4)} of $${event.limit_usd}`;
  const tokens = event.limit_tokens === undefined ? '' : ` ${event.spent_tokens} of ${event.limit_tokens} tokens`;
  return `${event.key} ${event.window}${usd}${tokens}`;
}

/** Tracks pid -> name from spawn events so each line can say who it is about. */
export class EventRenderer {
  private readonly names = new Map<number, string>();

  constructor(private readonly options: RenderOptions) {}

  /** Names known from elsewhere (a history cut by --tail may not hold the spawn event). */
  nameProcess(pid: number, name: string): void {
    this.names.set(pid, name);
  }

  render(event: KernelEvent): string | null {
    const { paint, verbose } = this.options;
    const max = verbose ? 100_000 : Math.max(40, this.options.width - 20);
    if (event.type === 'state' && event.from === null && event.name) this.names.set(event.pid, event.name);
    const who = paint('dim', `[${event.pid} ${this.names.get(event.pid) ?? '?'}]`);
    switch (event.type) {
      case 'state': {
        if (event.to === 'exited' || event.to === 'killed') {
          const colour = event.to === 'killed' || event.code ? 'red' : 'green';
          return `${who} ${paint(colour, describeEnd(event.to, event.code, event.reason))}`;
        }
        if (event.from === null)
          return `${who} ${paint('cyan', event.reason?.startsWith('forked from') ? event.reason : 'spawned')} ${event.role ?? ''} ${paint('dim', event.model ?? '')}`;
        if (!verbose && (event.to === 'running' || event.to === 'ready')) return null;
        return `${who} ${paint('dim', `${event.from} → ${event.to}${event.reason ? ` (${event.reason})` : ''}`)}`;
      }
      case 'prompt':
        return verbose ? `${who} ${paint('dim', `prompt turn ${event.turn}:`)} ${oneLine(event.text, max)}` : null;
      case 'model':
        return `${who} ${paint('magenta', `turn ${event.turn}`)} ${oneLine(event.text, max)}`;
      case 'syscall':
        // A call as it was made: JSON whose runs of spaces stay and whose hidden characters are escaped, cut with a mark (protocol/show-call.ts).
        return verbose
          ? `${who} ${paint('yellow', '→')} ${escapeControl(event.name)} ${showJson(event.args, max)}`
          : null;
      case 'result':
        return event.ok
          ? `${who} ${paint('green', '✓')} ${event.name} ${oneLine(json(event.value), max)}`
          : `${who} ${paint('red', '✗')} ${event.name} ${paint('red', event.errno ?? '')} ${oneLine(event.message ?? '', max)}`;
      case 'message': {
        const arrow = event.channel === 'stdout' ? 'stdout' : `${event.channel} → ${event.to_pid}`;
        return `${who} ${paint('cyan', arrow)} ${oneLine(event.content, max)}`;
      }
      case 'error':
        return `${who} ${paint('red', 'error')} ${event.message}`;
      case 'retry':
        return `${who} ${paint('yellow', `model: ${describeRetry(event)}`)}`;
      case 'approval':
        return `${who} ${paint('yellow', `approval ${event.id} ${event.status}`)} ${escapeControl(event.call)} (${escapeControl(event.rule)})${event.decided_by ? ` by ${event.decided_by}${event.via ? ` via ${escapeControl(event.via)}` : ''}` : ''}${event.reason ? `: ${escapeControl(event.reason)}` : ''}`;
      case 'proposal':
        return `${who} ${paint(event.state === 'undone' ? 'yellow' : 'cyan', `proposal ${event.id} ${event.state}`)} ${escapeControl(event.call)} ${escapeControl(event.subject)} (${escapeControl(event.rule)})${event.state === 'pending' ? ` undoable until ${event.expires_at}` : ''}${event.via ? ` via ${escapeControl(event.via)}` : ''}`;
      case 'trigger':
        return describeTrigger(event, paint);
      case 'budget':
        return `${event.pid ? who : paint('dim', '[kernel]')} ${paint(event.state === 'exhausted' || event.state === 'paused' ? 'red' : event.state === 'warning' ? 'yellow' : 'cyan', `budget ${event.budget} ${event.state}`)} ${describeBudgetEvent(event)}`;
      case 'request':
        return verbose ? `${who} ${paint('dim', `request turn ${event.turn}: ${describeRequest(event)}`)}` : null;
      case 'route':
        return `${who} ${paint('dim', `turn ${event.turn} on`)} ${paint('cyan', shortModel(event.model))} ${paint('dim', `(rung ${event.rung}: ${event.reason})`)}`;
      case 'thread':
        return `${event.pid ? who : paint('dim', '[person]')} ${paint('magenta', `thread ${event.key} ${event.action}`)} ${describeThreadEvent(event, max)}`;
    }
  }
}

/** The rest of a `thread` event's line: the entry, or what the summary covers. */
function describeThreadEvent(event: Extract<KernelEvent, { type: 'thread' }>, max: number): string {
  if (event.action === 'appended')
    return `#${event.seq ?? '?'} ${event.kind ?? 'note'}: ${oneLine(event.text ?? '', max)}`;
  if (event.action === 'summarized')
    return `through #${event.through ?? 0}${event.model ? ` by ${shortModel(event.model)}` : ''}${event.tokens ? ` (${event.tokens} tokens)` : ''}`;
  return '';
}
