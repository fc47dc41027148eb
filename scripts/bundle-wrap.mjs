// What scripts/cli-loader.cjs and daemon/kernel-code.ts run a bundle as: a CommonJS module function
// (its first line, a hashbang's, becomes the wrapper's, so a source map's lines still hold) in ASCII
// (esbuild escapes strings; what is left is in comments), so that it reads as latin1 into V8's
// one-byte string with no decoding pass and no copy — and ends with its build id, a hash of that
// content: V8 checks a code cache against the source's length only, the id says it was made from
// this very bundle.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export const BUILD_MARK = '\n//# aos-build=';

/** Rewrite esbuild's CommonJS `outfile` in place as the loaders' module function; its build id. */
export function wrapForLoader(outfile) {
  const built = readFileSync(outfile, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${built.replace(/^#!.*/, '')}\n})`;
  const code = wrapped.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const id = createHash('sha256').update(code).digest('hex').slice(0, 32);
  writeFileSync(outfile, `${code}${BUILD_MARK}${id}\n`);
  return id;
}
