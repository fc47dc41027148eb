// @ts-check
// The page's calls: GETs carry the session cookie; POSTs also the CSRF token (the Origin is the browser's).
/** @typedef {import('../protocol/web-api.js').WebGets} WebGets */
/** @typedef {import('../protocol/web-api.js').WebPosts} WebPosts */
/** @typedef {import('../protocol/web-api.js').WebError} WebError */

let csrf = '';

/** @param {string} token */
export function setCsrf(token) {
  csrf = token;
}

/**
 * The daemon's answer, taken as the type its path answers (protocol/web-api.ts); a failure thrown as `CODE: message`.
 * @param {Response} res
 * @returns {Promise<unknown>}
 */
async function answer(res) {
  /** @type {Partial<WebError>} */
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

/**
 * @template {keyof WebGets} P
 * @param {P} path
 * @param {Record<string, string | number | null | undefined>} [query] absent, null and empty values left out
 * @returns {Promise<WebGets[P]>}
 */
export async function get(path, query = {}) {
  const params = new URLSearchParams(
    Object.entries(query).flatMap(([k, v]) => (v !== null && v !== undefined && v !== '' ? [[k, String(v)]] : [])),
  );
  const qs = params.toString();
  return /** @type {WebGets[P]} */ (
    await answer(await fetch(qs ? `${path}?${qs}` : path, { credentials: 'same-origin' }))
  );
}

/**
 * What a failure says: a failed call's `CODE: message`, a network error's message.
 * @param {unknown} error
 */
export function failure(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * @template {keyof WebPosts} P
 * @param {P} path
 * @param {WebPosts[P]['body']} body
 * @returns {Promise<WebPosts[P]['result']>}
 */
export async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
    body: JSON.stringify(body),
  });
  return /** @type {WebPosts[P]['result']} */ (await answer(res));
}
