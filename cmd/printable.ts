/**
 * Text someone else wrote (a model's reply, a thread entry, a file's content in a result), made
 * safe to print on a person's terminal: control characters — ESC that starts colour, cursor and
 * OSC sequences (a clipboard write, a window title, a hyperlink), BEL, backspace, C1 controls — and
 * the bidirectional overrides that make text read otherwise than it is, shown as escapes instead
 * of acted on. Newlines and tabs stay.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
