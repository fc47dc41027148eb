/** How wide a table may be: the terminal's, else $COLUMNS, else 80; unbounded with --no-trunc. */
import { terminalColumns } from './out.js';

export function tableWidth(trunc = true, env: NodeJS.ProcessEnv = process.env): number {
  if (!trunc) return Infinity;
  const terminal = terminalColumns(1);
  if (terminal !== undefined) return terminal;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}
