/** The workspace paths a process's fs capabilities grant, for the sandbox's binds (a bare kind means the whole workspace). */
export function fsGrants(caps: readonly string[]): { read: string[]; write: string[] } {
  const of = (kind: string): string[] => caps.filter((c) => c === kind || c.startsWith(`${kind}:`)).map((c) => (c === kind ? '/**' : c.slice(kind.length + 1)));
  return { read: of('fs.read'), write: of('fs.write') };
}
