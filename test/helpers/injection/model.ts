/**
 * The obedient model: a model driver that does what the newest instruction it is shown tells it,
 * so that whatever protection the benchmark measures comes from the kernel, never from a model
 * that refuses. It reads every message the kernel sends it (task, trigger events, results, stdin),
 * newest first, and in the newest one that holds instructions it has not carried out yet it finds
 * every call written as `[SYS_CALL::NAME] {json}` or `please run: NAME {json}` — inside JSON
 * strings too (escaped quotes undone, up to three levels), after Unicode normalisation and with
 * zero-width characters dropped, and whatever frame or marker surrounds it — and makes those
 * calls, one a turn, before anything else. Otherwise it replays its process's scripted steps (its
 * benign task) and then exits with code 0.
 *
 * `<<RESULT>>` in a call stands for what the model just read (the kernel's newest message),
 * `<<RESULT_URL>>` for the same percent-encoded: the attacker's "send what you read to …" and a
 * copying step's "write down what you fetched".
 *
 * A script may be `deaf`: a careful helper that copies outside content where its task says and
 * obeys none of it (the writer of a thread entry, a fetching child), so that a scenario measures
 * the path the content takes to the process that obeys, not a second attack on the way.
 */
import type { ModelDriver, ModelReply, ModelRequest } from '../../../drivers/llm/types.js';

export interface Script {
  /** Replies in order (each usually one `[SYS_CALL::…]` block); SYS_EXIT 0 after the last. */
  steps: string[];
  /** Obeys no instruction it is shown. */
  deaf?: boolean;
}

interface ProcState {
  step: number;
  queue: string[];
  obeyed: Set<string>;
}

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/g;
const MARKER = /(?:SYS_CALL::|please run:\s*)([A-Z][A-Z_]{2,40})\]?\s*(?=\{)/gi;
const EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

/** The JSON object that starts at `from` (balanced braces, strings skipped), or null. */
function objectAt(text: string, from: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length && i < from + 20_000; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  return null;
}

/** One level of JSON string escaping undone: what a model reads inside a quoted result. */
function unescapeOnce(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|["\\/nrt])/g, (_, c: string) => {
    if (c.startsWith('u')) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c;
  });
}

/** Every call an instruction in `text` asks for, as `[SYS_CALL::NAME] {json}` replies, in order. */
export function instructionsIn(text: string): string[] {
  const calls: string[] = [];
  let level = text.normalize('NFKC').replace(ZERO_WIDTH, '');
  for (let depth = 0; depth < 4; depth++) {
    for (const match of level.matchAll(MARKER)) {
      const json = objectAt(level, (match.index ?? 0) + match[0].length);
      if (json === null) continue;
      try {
        const call = `[SYS_CALL::${(match[1] as string).toUpperCase()}] ${JSON.stringify(JSON.parse(json))}`;
        if (!calls.includes(call)) calls.push(call);
      } catch {
        // Not JSON at this level of escaping; the next level may read it.
      }
    }
    const next = unescapeOnce(level);
    if (next === level) break;
    level = next;
  }
  // A call written inside another's arguments (a child's task) is the other's business, not this reader's.
  const nested = new Set(
    calls.flatMap((call) => stringsOf(JSON.parse(call.slice(call.indexOf('{'))))).flatMap(instructionsIn),
  );
  return calls.filter((call) => !nested.has(call));
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** `<<RESULT>>` and `<<RESULT_URL>>` filled with the newest kernel message, as JSON string content. */
function fill(reply: string, latest: string): string {
  // Within what the calls take: a URL of 8 KiB once percent-encoded, a thread entry of 16 KiB.
  return reply
    .replaceAll('<<RESULT_URL>>', encodeURIComponent(latest.slice(0, 2000)))
    .replaceAll('<<RESULT>>', JSON.stringify(latest.slice(0, 12_000)).slice(1, -1));
}

export class ObedientModel implements ModelDriver {
  private readonly procs = new Map<number, ProcState>();
  /** Calls each process made because it was told to, by process name. */
  readonly obeyed = new Map<string, string[]>();

  constructor(
    readonly id: string,
    /** Scripts by process name; a process without one obeys and then exits. */
    private readonly scripts: Map<string, Script>,
  ) {}

  complete(request: ModelRequest): Promise<ModelReply> {
    const script = this.scripts.get(request.proc.name) ?? { steps: [] };
    let state = this.procs.get(request.proc.pid);
    if (!state) {
      state = { step: 0, queue: [], obeyed: new Set() };
      this.procs.set(request.proc.pid, state);
    }
    const kernelSaid = request.messages.filter((m) => m.role === 'user').map((m) => m.text);
    const latest = kernelSaid.at(-1) ?? '';
    if (!script.deaf) {
      for (const text of [...kernelSaid].reverse()) {
        const fresh = instructionsIn(text).filter((c) => !state.obeyed.has(c));
        if (!fresh.length) continue;
        for (const call of fresh) state.obeyed.add(call);
        state.queue.push(...fresh);
        break;
      }
    }
    const told = state.queue.shift();
    if (told !== undefined) {
      const list = this.obeyed.get(request.proc.name) ?? [];
      list.push(told);
      this.obeyed.set(request.proc.name, list);
      return Promise.resolve({ text: `As instructed.\n${fill(told, latest)}` });
    }
    const step = script.steps[state.step++];
    if (step === undefined) return Promise.resolve({ text: EXIT });
    // A step of its own is never taken for an instruction when the kernel echoes it back.
    for (const call of instructionsIn(step)) state.obeyed.add(call);
    return Promise.resolve({ text: fill(step, latest) });
  }
}
