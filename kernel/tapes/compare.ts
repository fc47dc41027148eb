/**
 * Where two replies part: their syscall blocks, parsed as the kernel parses a reply (parseReply),
 * each as its canonical name (an alias is the syscall it stands for) and canonical arguments (a
 * seed spelling rewritten, defaults filled in as the syscall's schema would, keys sorted). Prose
 * around the calls does not count: the calls are what the kernel would run.
 */
import type { ParsedBlock } from '../../sys/abi/parser.js';
import { canonicalJson } from '../../sys/canonical-json.js';
import { findSyscall } from '../../syscalls/table.js';
import { parseReply } from '../loop/turn.js';

export interface CallDifference {
  /** The index of the first call that differs in the reply (0-based). */
  call: number;
  /** `NAME {args}`, or `no call` where the reply has no call at that index. */
  recorded: string;
  got: string;
}

const NO_CALL = 'no call';
/** A call is shown (not compared) in at most this many characters. */
const SHOWN_CHARS = 300;

/** The first call that differs between the recorded reply and the one got, or null when they make the same calls. */
export function firstDifference(recorded: string, got: string): CallDifference | null {
  const a = parseReply(recorded).map(canonicalCall);
  const b = parseReply(got).map(canonicalCall);
  for (let call = 0; call < Math.max(a.length, b.length); call++) {
    if (a[call] === b[call]) continue;
    return { call, recorded: shown(a[call] ?? NO_CALL), got: shown(b[call] ?? NO_CALL) };
  }
  return null;
}

/** `FS_WRITE {"content":"hi","path":"a.txt"}`; a block that does not parse is `NAME (malformed)`. */
export function canonicalCall(block: ParsedBlock): string {
  const def = findSyscall(block.name);
  const name = def?.name ?? block.name.toUpperCase();
  if (!block.ok) return `${name} (malformed)`;
  if (def === undefined) return `${name} ${canonicalJson(block.args)}`;
  const raw = def.normalize ? def.normalize(block.args) : block.args;
  const parsed = def.args.safeParse(raw);
  return `${name} ${canonicalJson(parsed.success ? parsed.data : raw)}`;
}

function shown(call: string): string {
  return call.length <= SHOWN_CHARS ? call : `${call.slice(0, SHOWN_CHARS - 1)}…`;
}
