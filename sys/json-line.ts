/**
 * JSON as a model reads it, on one line: JSON.stringify leaves U+2028, U+2029 and NEL (U+0085)
 * raw inside strings, and a model's tokenizer or a prompt viewer may break a line there — which
 * would let text written by someone else (a file, a thread entry, a web page) start a line that
 * reads as the kernel's (`[KERNEL] …`, `[SYS_RESULT::…]`). They are escaped: still the same JSON.
 */
const LINE_BREAKS = /[\u0085\u2028\u2029]/g;

export function escapeLineBreaks(json: string): string {
  return json.replace(LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function jsonLine(value: unknown): string {
  return escapeLineBreaks(JSON.stringify(value) ?? 'null');
}
