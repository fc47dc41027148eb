/**
 * Text a person decides on, shown as it is: an approval's arguments must not hide what will run.
 * Characters that change how text looks without being seen — bidirectional overrides, zero-width
 * characters, unusual spaces, controls (show-text.ts lists them all) — are shown as \uXXXX escapes
 * (JSON reads them back the same), and a cut says how much it cut, never a bare "…". The rules
 * live in show-text.ts; this is their JSON-flavoured door for text that is JSON already.
 */
import { approvalAbout } from './show-call.js';
import { cut, jsonVisible } from './show-text.js';

export function visibleText(text: string): string {
  return jsonVisible(text);
}

/**
 * What an approval was asked about (a path, a command, the chat CHANNEL_SEND {"to":"inbound"} was
 * found to go to at the gate): `on <subject>`, whole and escaped — never cut with the arguments,
 * which may not say it; '' when it is only the call's name (show-call.ts approvalAbout).
 */
export function approvalSubject(row: { call: string; args?: unknown; subject?: string }): string {
  return approvalAbout(row);
}

/** A value as one visible line of JSON, cut to `max` characters with what was cut said. */
export function visibleLine(value: unknown, max: number): string {
  return cut(
    visibleText(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')),
    max,
    '--json shows all',
  );
}
