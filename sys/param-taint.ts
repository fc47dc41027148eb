/**
 * The limits of taint tracking (issue 49), spread into `param` (param.ts): still one object for
 * every limit. Numbers only, no imports.
 */
export const taintParam = {
  /** Sources a process keeps (its first ones: what tainted it); later ones are only counted. */
  taintMaxSources: 8,
  /** A source's excerpt of the content that tainted, at most (secrets masked before it is cut). */
  taintExcerptChars: 160,
  /** Non-live writers whose stored taint a kernel keeps in memory, for readers of what they wrote. */
  taintWriterCache: 4_096,
};
