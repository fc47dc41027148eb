/**
 * What a turn's `request` event says (kernel/loop/sent-record.ts): nothing when the stream already
 * says the request (the last one, its reply, this prompt); the system prompt when it is new; every
 * message after a compaction, a cut, or a restart (a process the loop has not sent for yet).
 */
import { describe, expect, it } from 'vitest';
import type { ModelMessage } from '../../../drivers/llm/types.js';
import { recordRequest } from '../../../kernel/loop/sent-record.js';
import type { TurnState } from '../../../kernel/loop/turn-state.js';
import type { Entry } from '../../../kernel/proc/proc-types.js';

/** A process's turn state as recordRequest reads it: its transcript. */
function procWith(transcript: Entry[]): TurnState {
  return { transcript } as unknown as TurnState;
}

const row = (seq: number, role: 'user' | 'model', text: string): Entry => ({ seq, role, text });
const asSent = (rows: readonly Entry[]): ModelMessage[] => rows.map(({ role, text }) => ({ role, text }));

describe('the request a turn records', () => {
  it('says the system prompt once, and nothing while each request is the last one grown by its reply and a prompt', () => {
    const transcript = [row(0, 'user', '[TASK] count')];
    const proc = procWith(transcript);
    expect(recordRequest(proc, { system: 'S', messages: asSent(transcript) })).toEqual({ system: 'S' });
    transcript.push(row(1, 'model', 'call'), row(2, 'user', 'result'));
    expect(recordRequest(proc, { system: 'S', messages: asSent(transcript) })).toBeNull();
    transcript.push(row(3, 'model', 'call'), row(4, 'user', 'result 2'));
    expect(recordRequest(proc, { system: 'S2', messages: asSent(transcript) })).toEqual({ system: 'S2' });
  });

  it('says every message after a compaction, and for a cut request, and the next one after it', () => {
    const transcript = [row(0, 'user', 'task'), row(1, 'model', 'a'), row(2, 'user', 'b')];
    const proc = procWith([...transcript]);
    // A restart: the loop has sent nothing for it yet, and it has a past.
    expect(recordRequest(proc, { system: 'S', messages: asSent(transcript) })).toEqual({
      system: 'S',
      messages: asSent(transcript),
    });
    const compacted = procWith([row(5, 'user', '[SUMMARY] …'), row(1, 'model', 'a'), row(2, 'user', 'b')]);
    expect(recordRequest(compacted, { system: 'S', messages: asSent(compacted.transcript) })?.messages).toHaveLength(3);
    const cut = asSent(transcript).map((m, i) => (i === 0 ? { ...m, text: 'ta…' } : m));
    const same = procWith([...transcript]);
    recordRequest(same, { system: 'S', messages: asSent(transcript) });
    (same.transcript as Entry[]).push(row(3, 'model', 'c'), row(4, 'user', 'd'));
    expect(recordRequest(same, { system: 'S', messages: [...cut, ...asSent(same.transcript.slice(3))] })).toEqual({
      messages: [...cut, ...asSent(same.transcript.slice(3))],
    });
    (same.transcript as Entry[]).push(row(5, 'model', 'e'), row(6, 'user', 'f'));
    // The request before was cut: this whole one is not the last grown by two.
    expect(recordRequest(same, { system: 'S', messages: asSent(same.transcript) })?.messages).toHaveLength(7);
  });
});
