/** Terminal colour that honours NO_COLOR, FORCE_COLOR and non-TTY output. */
import { isTerminal } from './out.js';

/** Colour for standard output, or for a stream of one's own (Ink's). */
export function useColor(stream?: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream === undefined ? isTerminal(1) : stream.isTTY === true;
}

const CODES = {
  dim: [2, 22],
  bold: [1, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
} as const;
export type Style = keyof typeof CODES;

export function painter(enabled: boolean): (style: Style, text: string) => string {
  return (style, text) => {
    if (!enabled) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

/** Cut a line to `width` visible columns (colour codes take none), with an ellipsis. */
export function cutVisible(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  let coloured = false;
  for (let i = 0; i < line.length;) {
    const code = /^\u001b\[[0-9;]*m/.exec(line.slice(i, i + 16));
    if (code) {
      out += code[0];
      coloured = true;
      i += code[0].length;
      continue;
    }
    if (visible === width - 1) break;
    out += line[i];
    visible++;
    i++;
  }
  return `${out}…${coloured ? '\u001b[0m' : ''}`;
}

function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
