/** Colours are only ever passed to Ink when colour is on, so NO_COLOR output carries none. */
import type { ProcState } from '../../sys/types.js';

export type Tone = 'green' | 'cyan' | 'yellow' | 'red' | 'blue' | 'gray' | 'magenta';

export const STATE_TONE: Record<ProcState, Tone> = {
  running: 'green',
  ready: 'cyan',
  blocked: 'yellow',
  sleeping: 'blue',
  exited: 'gray',
  killed: 'red',
};

export function tone(color: boolean, name: Tone): Tone | undefined {
  return color ? name : undefined;
}
