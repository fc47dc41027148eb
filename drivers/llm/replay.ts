/** The replay model driver: answers each process from its own list on a tape, indexed by its turn. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { runAsKernel } from '../../sys/blame.js';
import { param } from '../../sys/param.js';
import type { OpenContext } from './provider.js';
import type { Tape, TapeEntry } from './replay-tape.js';
import { loadTape, type TapeFileOptions } from './tape-file.js';
import { ModelStop, type ModelDriver, type ModelMessage, type ModelReply, type ModelRequest } from './types.js';

export { parseTape, type ParseOptions, type Tape, type TapeEntry } from './replay-tape.js';
export { loadTape, type TapeFileOptions } from './tape-file.js';

const EXCERPT_CHARS = 300;
/** How many pieces a streamed replay reply comes in, at most. */
const STREAM_PIECES = 24;

/**
 * A file's identity and version, to tell an edited tape from the one read: a tape saved anew (a new
 * inode), edited in place (mtime, ctime, size) or removed reads differently. Only compared, never shown.
 */
function stampOf(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return 'unreadable';
  }
}

/**
 * Whether the tape at `file` is no longer the one stamped `stamp`, its stamp read at most once a
 * turn of the event loop. Every turn asks its driver (kernel/loop/turn-state.ts driverFor), and a
 * slice of hundreds of instant turns stat'ed the tape hundreds of times (~21 µs a turn, 5-10 % of
 * a turn's CPU). An edit made meanwhile — by another process, or by this one through fs calls that
 * complete in a later turn of the loop — is seen by the first check after the current turn of the
 * loop, as by a check a moment later.
 */
function staleness(file: string, stamp: string): () => boolean {
  let seen: string | null = null;
  const forget = (): void => {
    seen = null;
  };
  return () => {
    if (seen === null) {
      seen = stampOf(file);
      // Not charged to the process whose turn asked.
      runAsKernel(() => setImmediate(forget));
    }
    return seen !== stamp;
  };
}

/**
 * The provider table's entry point (provider.ts): `name` is the tape's path; the kernel confines the
 * read through `readTape`. The driver is kept by the registry under the model's name: it says when
 * its tape changed (stale), so that an edited tape is read again rather than replayed as it was
 * (issue 51.4). Stamped before the read: an edit during it reads again next time, never the reverse.
 */
export async function open(name: string, context: OpenContext): Promise<ModelDriver> {
  const file = resolve(name);
  const stamp = stampOf(file);
  const tape = await (context.readTape?.(file) ?? loadTape(file, { maxBytes: param.replayMaxTapeBytes }));
  return { ...replayTape(tape, `replay:${file}`), stale: staleness(file, stamp) };
}

/** Load the tape once; the driver's id is `replay:<absolute path>`. */
export async function createReplayDriver(file: string, options: TapeFileOptions): Promise<ModelDriver> {
  const absolute = resolve(file);
  const tape = await loadTape(absolute, options);
  return replayTape(tape, `replay:${absolute}`);
}

/** A driver over an already parsed tape (tests build tapes inline with parseTape). */
export function replayTape(tape: Tape, id = `replay:${tape.source}`): ModelDriver {
  return {
    id,
    // No cursor state: the kernel's per-process turn is the index, so restarts replay correctly.
    complete: async (request) => {
      request.signal.throwIfAborted();
      const { entry, where } = pickEntry(tape, request);
      checkExpectations(entry, where, request.messages, request.proc.turn === 0 ? request.system : '');
      if (request.onText !== undefined) await stream(entry, request.onText, request.signal);
      else if (entry.delayMs > 0) await sleep(entry.delayMs, request.signal);
      return toReply(entry);
    },
  };
}

function pickEntry(tape: Tape, request: ModelRequest): { entry: TapeEntry; where: string } {
  const { name, turn } = request.proc;
  const entries = tape.agents.get(name);
  if (entries === undefined) {
    throw new ModelStop(`replay tape exhausted: no replies for agent "${name}" in ${tape.source}${knownAgents(tape)}`);
  }
  const entry = entries[turn];
  if (entry === undefined) {
    throw new ModelStop(
      `replay tape exhausted: agent "${name}" has ${entries.length} ${entries.length === 1 ? 'reply' : 'replies'}, this is turn ${turn}`,
    );
  }
  return { entry, where: `agent "${name}" entry ${turn}` };
}

/**
 * Each expected text must be in the latest kernel message — or, on an agent's first turn, in what
 * it was started with besides its task: its system prompt (a thread attached to it, its role).
 */
function checkExpectations(entry: TapeEntry, where: string, messages: readonly ModelMessage[], system: string): void {
  if (entry.expect.length === 0) return;
  const seen = latestKernelMessage(messages);
  const missing = entry.expect.filter((expected) => !seen.includes(expected) && !system.includes(expected));
  if (missing.length === 0) return;
  const wanted = missing.map((expected) => `'${expected}'`).join(', ');
  throw new ModelStop(
    `replay expectation failed: ${where} expected ${wanted} in the latest kernel message, saw: '${excerpt(seen)}'`,
  );
}

function latestKernelMessage(messages: readonly ModelMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS - 3)}...`;
}

function knownAgents(tape: Tape): string {
  const names = [...tape.agents.keys()];
  if (names.length === 0) return ' (the tape lists no agents)';
  const shown = names
    .slice(0, 10)
    .map((agent) => `"${agent}"`)
    .join(', ');
  return ` (the tape has ${shown}${names.length > 10 ? ', ...' : ''})`;
}

/** As a provider streams: the reply in pieces of a few words, spread over the entry's delay. */
async function stream(entry: TapeEntry, onText: (delta: string) => void, signal: AbortSignal): Promise<void> {
  const pieces = streamPieces(entry.reply);
  const gap = pieces.length === 0 ? entry.delayMs : entry.delayMs / pieces.length;
  if (pieces.length === 0 && gap > 0) await sleep(gap, signal);
  for (const piece of pieces) {
    if (gap > 0) await sleep(gap, signal);
    onText(piece);
  }
}

/** At most STREAM_PIECES pieces, cut after whitespace; joined they are the text. */
export function streamPieces(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
  const per = Math.max(1, Math.ceil(words.length / STREAM_PIECES));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += per) pieces.push(words.slice(i, i + per).join(''));
  const joined = pieces.join('');
  if (joined.length < text.length) pieces.push(text.slice(joined.length)); // trailing whitespace only
  return pieces;
}

function toReply(entry: TapeEntry): ModelReply {
  // Fresh objects: callers may mutate replies, the tape must stay intact.
  return entry.usage === undefined ? { text: entry.reply } : { text: entry.reply, usage: { ...entry.usage } };
}

/** Resolve after `ms`, or reject with the signal's reason as soon as it aborts; no timer outlives it. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolvePromise();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
