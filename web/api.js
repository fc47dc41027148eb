// The page's calls: GETs carry the session cookie; POSTs also the CSRF token (the Origin is the browser's).
let csrf = '';

export function setCsrf(token) {
  csrf = token;
}

async function answer(res) {
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

export async function get(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const qs = params.toString();
  return answer(await fetch(qs ? `${path}?${qs}` : path, { credentials: 'same-origin' }));
}

export async function post(path, body) {
  return answer(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-AOS-CSRF': csrf },
      body: JSON.stringify(body),
    }),
  );
}
