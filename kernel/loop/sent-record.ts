/**
 * What a turn's request held that the event stream does not already say, for a `request` event
 * beside the turn's `model` event: a recording (aos record, kernel/tapes) then holds every byte the
 * model was sent. The stream already says each turn's last message (its `prompt` event, the text of
 * its transcript row) and the reply before it (`model`); a request that is the last one with that
 * reply and this prompt after it adds nothing. Said here: the system prompt when it is new for the
 * process (its first turn; one rebuilt after a restart, with its threads as they are then), and
 * every message when the list is not the last one grown by two (a compaction's summary, a context
 * cut, a corrected mistake left out, a fork's first turn, the first turn after a restart). Most
 * turns add nothing.
 *
 * The last request is kept in memory only, by the turn's loop: after a restart the first request is
 * said whole. Its texts are the transcript's own strings (fitMessages copies the references).
 */
import type { ModelMessage, ModelRequest } from '../../drivers/llm/types.js';
import type { Entry } from '../proc/proc-types.js';
import type { TurnState } from './turn-state.js';

interface Sent {
  system: string;
  /** Whether it was the transcript itself; then the transcript as it had it: first row, length, last row and that row's length. */
  whole: boolean;
  firstSeq: number;
  count: number;
  lastSeq: number;
  lastChars: number;
}

/** By the turn's state (a restart begins a new one: its first request is said whole). */
const lastSent = new WeakMap<object, Sent>();

export interface RequestRecord {
  system?: string;
  messages?: ModelMessage[];
}

/** The request is the transcript itself: nothing cut, nothing left out. */
function isWhole(messages: readonly ModelMessage[], transcript: readonly Entry[]): boolean {
  if (messages.length !== transcript.length) return false;
  return messages.every((m, i) => m.role === transcript[i]?.role && m.text === transcript[i]?.text);
}

/** The transcript is the last request's with two rows more (its reply, this prompt), that request whole. */
function follows(before: Sent | undefined, transcript: readonly Entry[]): boolean {
  if (before === undefined) return transcript.length === 1;
  if (!before.whole) return false;
  const last = transcript[before.count - 1];
  return (
    transcript.length === before.count + 2 &&
    transcript[0]?.seq === before.firstSeq &&
    last?.seq === before.lastSeq &&
    last.text.length === before.lastChars
  );
}

/** The record of this request (null when the stream says it all), and the request kept for the next. */
export function recordRequest(
  turn: Pick<TurnState, 'transcript'>,
  request: Pick<ModelRequest, 'system' | 'messages'>,
  /** What the request was built from: the transcript, without its corrected mistakes (context-budget.ts withoutCorrected). */
  transcript: readonly Entry[] = turn.transcript,
): RequestRecord | null {
  const before = lastSent.get(turn);
  const whole = isWhole(request.messages, transcript);
  const last = transcript[transcript.length - 1];
  const kept = {
    firstSeq: transcript[0]?.seq ?? -1,
    count: transcript.length,
    lastSeq: last?.seq ?? -1,
    lastChars: last?.text.length ?? 0,
  };
  lastSent.set(turn, { system: request.system, whole, ...kept });
  const record: RequestRecord = {};
  if (before?.system !== request.system) record.system = request.system;
  if (!whole || !follows(before, transcript))
    record.messages = request.messages.map(({ role, text }) => ({ role, text }));
  return record.system === undefined && record.messages === undefined ? null : record;
}
