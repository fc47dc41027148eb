/**
 * Corrected mistakes leave the context (issue 50.6): a reply whose every call was malformed or
 * named no syscall (EINVAL, ENOSYS) and the kernel's message that answered only that, once a later
 * call of the process has succeeded, are not sent again. The model made the call right since; the
 * wrong attempt in every later request costs its tokens on each, and shows the model a wrong form
 * of the call to copy. The transcript keeps them (aos logs, the store, a fork); only the requests
 * leave them out.
 *
 * A pure function of the transcript's entries, so a restart, a fork and a recording's replay send
 * the same requests. Kept: a kernel message with anything else in it (a result that succeeded or
 * failed otherwise — EPERM, ENOENT say something about the world — an event, a notice, a reminder),
 * and every mistake not yet followed by a success.
 */
import type { ModelMessage } from '../../drivers/llm/types.js';
import { param } from '../../sys/param.js';

/** A result line that says only that the call itself was wrong. */
const WRONG_CALL = /^\[SYS_RESULT::[A-Za-z0-9_]+\] \{"ok":false,"errno":"(?:EINVAL|ENOSYS)"/;
/** A result line of a call that ran. */
const RAN = /^\[SYS_RESULT::[A-Za-z0-9_]+\] \{"ok":true/m;

interface Seen {
  text: string;
  wrong: boolean;
  ran: boolean;
}

/** Per message (its text as classified: the latest kernel message may be amended with notices). */
const seen = new WeakMap<ModelMessage, Seen>();

function classify(message: ModelMessage): Seen {
  const known = seen.get(message);
  if (known !== undefined && known.text === message.text) return known;
  const { text } = message;
  // Cheap tests first: most kernel messages hold a success, or no wrong call at all.
  const ran = text.includes('{"ok":true') && RAN.test(text);
  const wrong = !ran && (text.includes('"errno":"EINVAL"') || text.includes('"errno":"ENOSYS"')) && onlyWrong(text);
  const fresh = { text, wrong, ran };
  seen.set(message, fresh);
  return fresh;
}

function onlyWrong(text: string): boolean {
  for (const line of text.split('\n')) if (!WRONG_CALL.test(line)) return false;
  return true;
}

/**
 * The messages a request sends: `transcript` without the corrected mistakes (the same array when
 * there are none, or when param.leaveOutCorrected is off).
 */
export function withoutCorrected<M extends ModelMessage>(transcript: readonly M[]): readonly M[] {
  if (!param.leaveOutCorrected) return transcript;
  let ranAfter = false;
  let drop: Set<number> | null = null;
  // From the newest back: a mistake is corrected when a success comes after it.
  for (let i = transcript.length - 1; i > 0; i--) {
    const message = transcript[i] as M;
    if (message.role !== 'user') continue;
    const { wrong, ran } = classify(message);
    if (ran) ranAfter = true;
    else if (wrong && ranAfter && transcript[i - 1]?.role === 'model') {
      drop ??= new Set();
      drop.add(i).add(i - 1);
    }
  }
  return drop === null ? transcript : transcript.filter((_, i) => !(drop as Set<number>).has(i));
}
