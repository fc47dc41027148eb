/**
 * Embedders: aos computes every vector itself and hands it to Chroma explicitly (Chroma's own
 * default embedding function downloads a model at run time, so it is never used). This file holds
 * what an embedder is and the default one, `local`; the provider embedders (gemini:, openai:) and
 * the choice by AOS_EMBEDDER are in provider-embedders.ts.
 *
 * A collection records the embedder id and dimension that built it; a kernel with another
 * embedder is refused on it rather than mixing incomparable vectors.
 */
export type EmbedPurpose = 'document' | 'query';

export interface Embedder {
  /** Names the vector space: recorded in each collection, which only opens with the same id and dim. */
  readonly id: string;
  /** The vector length, when known before the first call (the local embedder); null until then. */
  readonly dim: number | null;
  /** Texts per backend request. */
  readonly maxBatch: number;
  embed(texts: readonly string[], purpose: EmbedPurpose, signal?: AbortSignal): Promise<number[][]>;
}

// ---------------------------------------------------------------------------------------------
// The local embedder
// ---------------------------------------------------------------------------------------------

/**
 * `local-hash-v1`: a deterministic feature-hashing embedder that needs no model and no network.
 *
 * A text is folded (Unicode NFKD, accents stripped, lower-cased) and split into words (letters and
 * digits). Three groups of features are hashed (FNV-1a, with a hash-derived sign) into one vector
 * of `dim` floats (384 by default):
 *   - word unigrams (weight² 0.50), with common English stop words damped to 0.25;
 *   - word bigrams (weight² 0.15), which reward shared phrases and word order;
 *   - character 3- and 4-grams of each word with boundary marks, "<recei", (weight² 0.35), which
 *     let typos, plurals and inflections ("recieve"/"receive", "deploy"/"deployment") still match.
 * Term counts are damped (1 + ln tf); each group is L2-normalised before mixing and the result is
 * L2-normalised, so the cosine of two vectors is roughly the weighted overlap of their features.
 *
 * Good at: lexical overlap — the memory that shares the query's words (or misspellings and
 * inflections of them) ranks first; names, ids, numbers, error messages, file paths.
 * Bad at: meaning. Synonyms and paraphrases with no shared words ("car" vs "automobile",
 * "the build is red" vs "CI failed") look unrelated, and there is no cross-language matching.
 * Configure a provider embedder (AOS_EMBEDDER=gemini:... or openai:...) for semantic recall.
 * Scores are only comparable between texts embedded by the same embedder.
 */
export class LocalEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch = 4096;

  constructor(readonly dim: number = 384) {
    if (!Number.isInteger(dim) || dim < 16 || dim > 4096)
      throw new Error(`local embedder dimension must be an integer from 16 to 4096 (got ${dim})`);
    this.id = dim === 384 ? 'local-hash-v1' : `local-hash-v1:${dim}`;
  }

  embed(texts: readonly string[], _purpose?: EmbedPurpose): Promise<number[][]> {
    return Promise.resolve(texts.map((text) => this.embedOne(text)));
  }

  embedOne(text: string): number[] {
    const words = tokenize(text);
    const unigrams = new Map<string, number>();
    const bigrams = new Map<string, number>();
    const grams = new Map<string, number>();
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      const stop = STOP_WORDS.has(word);
      bump(unigrams, `w\u0001${word}`, stop ? 0.25 : 1);
      const next = words[i + 1];
      if (next !== undefined && !(stop && STOP_WORDS.has(next))) bump(bigrams, `b\u0001${word}\u0001${next}`, 1);
      if (!stop) charGrams(word, grams);
    }
    // Nothing word-like ("?!", emoji): fall back to the text's own character grams.
    if (unigrams.size === 0) charGrams(text.trim().toLowerCase() || '\u0000', grams);
    const out = new Float64Array(this.dim);
    addGroup(out, unigrams, Math.sqrt(0.5), this.dim);
    addGroup(out, bigrams, Math.sqrt(0.15), this.dim);
    addGroup(out, grams, Math.sqrt(0.35), this.dim);
    let norm = 0;
    for (const v of out) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    return Array.from(out, (v) => v / norm);
  }
}

const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this to too was we were what when ' +
    'where which who why will with would you your'
  ).split(' '),
);

function tokenize(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) ?? [];
}

function bump(map: Map<string, number>, feature: string, weight: number): void {
  map.set(feature, (map.get(feature) ?? 0) + weight);
}

function charGrams(word: string, into: Map<string, number>): void {
  const marked = `<${word}>`;
  for (const n of [3, 4]) {
    if (marked.length < n) {
      if (n === 3) bump(into, `c\u0001${marked}`, 1);
      continue;
    }
    for (let i = 0; i + n <= marked.length; i++) bump(into, `c\u0001${marked.slice(i, i + n)}`, 1);
  }
}

/** Adds one feature group, L2-normalised and scaled by `weight`, into `out`. */
function addGroup(out: Float64Array, features: Map<string, number>, weight: number, dim: number): void {
  if (features.size === 0) return;
  const part = new Float64Array(dim);
  for (const [feature, count] of features) {
    const h = fnv1a(feature);
    const sign = mix(h) & 1 ? -1 : 1;
    part[h % dim] = (part[h % dim] ?? 0) + sign * (count >= 1 ? 1 + Math.log(count) : count);
  }
  let norm = 0;
  for (const v of part) norm += v * v;
  if (norm === 0) return;
  const scale = weight / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) out[i] = (out[i] ?? 0) + (part[i] ?? 0) * scale;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: decorrelates the sign bit from the bucket. */
function mix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
