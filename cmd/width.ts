/** How wide a table may be: the terminal's, else $COLUMNS, else 80; unbounded with --no-trunc. */
export function tableWidth(trunc = true, stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (!trunc) return Infinity;
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}
