/**
 * Node's own fetch dispatcher (the one its bundled undici makes for every fetch without one), for
 * the drivers that hand fetch a dispatcher of theirs and pass the requests on to it. Node exports
 * no undici to ask for it; it keeps it under a global symbol, made on the first fetch-related use.
 */

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** What fetch calls on a dispatcher it is given: undici's documented `dispatch(options, handler)`. */
export interface FetchDispatcher {
  dispatch(options: object, handler: object): boolean;
}

/** Node's global fetch dispatcher, as it is now (a test or an embedder may have set another). */
export function nodeDispatcher(): FetchDispatcher {
  const holder = globalThis as unknown as Record<symbol, FetchDispatcher | undefined>;
  if (holder[GLOBAL_DISPATCHER] === undefined) new Headers();
  const global = holder[GLOBAL_DISPATCHER];
  if (global === undefined || typeof global.dispatch !== 'function')
    throw new Error("node's fetch dispatcher is not available");
  return global;
}

/** A dispatch's headers (undici's pairs in an array, an iterable of pairs, or an object) as one object, names in lower case. */
export function headerObject(headers: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const put = (name: unknown, value: unknown): void => {
    if (typeof name === 'string' && (typeof value === 'string' || Array.isArray(value)))
      out[name.toLowerCase()] = value as string | string[];
  };
  if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) put(headers[i], headers[i + 1]);
  else if (headers !== null && typeof headers === 'object' && Symbol.iterator in headers)
    for (const [name, value] of headers as Iterable<[unknown, unknown]>) put(name, value);
  else if (headers !== null && typeof headers === 'object')
    for (const [name, value] of Object.entries(headers)) put(name, value);
  return out;
}
