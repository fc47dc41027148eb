/** The module hooks of trace-imports.mjs (they run on node's loader thread). */
import { appendFileSync } from 'node:fs';

let out;

export function initialize(file) {
  out = file;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (out) appendFileSync(out, `${resolved.url}\n`);
  return resolved;
}
