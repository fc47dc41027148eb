/**
 * Text a person decides on, shown as it is: an approval's arguments must not hide what will run.
 * Characters that change how text looks without being seen — bidirectional overrides, zero-width
 * characters, unusual spaces, controls — are shown as \uXXXX escapes (JSON reads them back the
 * same), and a cut says how much it cut, never a bare "…".
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00a0\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]/g;

export function visibleText(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * What an approval was asked about (a path, a command, the chat CHANNEL_SEND {"to":"inbound"} was
 * found to go to at the gate): `on <subject>`, whole and escaped — never cut with the arguments,
 * which may not say it; '' when it is only the call's name.
 */
export function approvalSubject(row: { call: string; subject?: string }): string {
  return !row.subject || row.subject === row.call ? '' : `on ${visibleText(row.subject)}`;
}

/** A value as one visible line of JSON, cut to `max` characters with what was cut said. */
export function visibleLine(value: unknown, max: number): string {
  const text = visibleText(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));
  if (text.length <= max) return text;
  const note = ` …(+${text.length - max} chars; --json shows all)`;
  return `${text.slice(0, Math.max(1, max - note.length))}${note}`;
}
