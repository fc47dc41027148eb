/** A glob on program names (`python3*`, `g?t`): `*` any run of characters, `?` one; no other syntax. */
export function compileExecGlob(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's');
}
