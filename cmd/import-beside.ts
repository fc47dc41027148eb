/**
 * Load one of the CLI's ES modules that stay out of its bundle (Ink's dashboard, the MCP server),
 * by a path relative to this directory. The built CLI runs its bundle from V8's code cache
 * (scripts/cli-loader.cjs), where `import()` has no loader of its own: the loader lends one under
 * IMPORT_BESIDE. From source, a plain import() beside this file does it.
 */
export const IMPORT_BESIDE = Symbol.for('aos.cli.importBeside');

type Importer = (specifier: string) => Promise<unknown>;

export function importBeside<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { [IMPORT_BESIDE]?: Importer })[IMPORT_BESIDE];
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
