/**
 * A syscall result as the model sees it: whole when it fits its share of the context, else an
 * excerpt with the result's own JSON shape (so `ok`, `truncated`, `exit_code`, `status` always
 * arrive) plus where the rest is: the whole result stays in the store, and SYS_RESULT_READ pages it.
 */
import type { SyscallResult } from '../../sys/abi/result.js';
import { type FieldCut, jsonSize, prefixLength, shrink, shrinkObject } from './excerpt.js';

/** Where a result sits in the process's history: what SYS_RESULT_READ asks for. */
export interface ResultPlace {
  turn: number;
  seq: number;
}

interface Rest {
  field?: string;
  offset: number;
}

/** The result in at most `max` characters of JSON. */
export function fitResult(result: SyscallResult, max: number, place: ResultPlace | null = null): string {
  const body = JSON.stringify(result) ?? 'null';
  if (body.length <= max) return body;
  let room = max;
  for (let attempt = 0; attempt < 4; attempt++) {
    const text = excerpt(result, room, body.length, place);
    if (text.length <= max) return text;
    room -= text.length - max + 16;
  }
  // Only for a `max` too small for the value's own structure: the head of its JSON, as a string.
  const shell = (head: string): string => JSON.stringify({ ok: result.ok, excerpt: { of_chars: body.length, json_head: head } });
  return shell(body.slice(0, prefixLength(body, max - shell('').length)));
}

function excerpt(result: SyscallResult, room: number, total: number, place: ResultPlace | null): string {
  if (!result.ok) return JSON.stringify(shrink(result, room));
  const value = result.value;
  const longest = typeof value === 'object' && value !== null && !Array.isArray(value) ? longestKey(value as Record<string, unknown>) : undefined;
  const probe = describe(total, place, { field: longest, offset: total });
  const inner = room - '{"ok":true,"value":,"excerpt":}'.length - jsonSize(probe);
  const { shown, rest } = cutValue(value, inner);
  return JSON.stringify({ ok: true, value: shown, excerpt: describe(total, place, rest) });
}

function cutValue(value: unknown, room: number): { shown: unknown; rest: Rest } {
  if (typeof value === 'string') {
    const kept = prefixLength(value, Math.max(0, room - 2));
    return { shown: value.slice(0, kept), rest: { offset: kept } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { shown: shrink(value, room), rest: { offset: 0 } };
  const cuts: FieldCut[] = [];
  const shown = shrinkObject(value as Record<string, unknown>, room, cuts);
  // A cut string reads on from its cut; a shrunk array or object is paged as JSON text from its start.
  const biggest = cuts.sort((a, b) => Number(a.nested) - Number(b.nested) || b.cut - a.cut)[0];
  return { shown, rest: biggest ? { field: biggest.key, offset: biggest.kept } : { offset: 0 } };
}

/** The excerpt's note: how big the whole result is and the call that reads on from the cut. */
function describe(total: number, place: ResultPlace | null, rest: Rest): Record<string, unknown> {
  if (!place) return { of_chars: total };
  const args = { turn: place.turn, seq: place.seq, ...(rest.field === undefined ? {} : { field: rest.field }), offset: rest.offset };
  return { of_chars: total, rest: { SYS_RESULT_READ: args } };
}

/** The longest key name: the note is sized for the longest `field` it could name. */
function longestKey(value: Record<string, unknown>): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(value)) if (best === undefined || key.length > best.length) best = key;
  return best;
}
