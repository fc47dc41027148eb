/**
 * How an OpenAI-compatible request carries its reply's bound (reply-bound.ts). OpenAI itself wants
 * `max_completion_tokens` (its reasoning models refuse `max_tokens`); Ollama, vLLM and llama.cpp's
 * server know `max_tokens`. A server that answers 400 naming the field as unsupported is asked again
 * with the other one, and one that says its model "supports at most N" tokens with N: remembered by
 * the driver, as a refused stream is. Never dropped: without it the provider's default (the model's
 * maximum) would apply, and a budget could not count on the bound.
 */
export type TokenField = 'max_tokens' | 'max_completion_tokens';

export interface OutputCap {
  field: TokenField;
  /** The most the server said its model takes, when it refused more; null until it does. */
  most: number | null;
}

export function initialCap(baseUrl: string): OutputCap {
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    // The driver reports a bad base URL at its first request.
  }
  return { field: host === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens', most: null };
}

/** The body's field for a reply of at most `bound` tokens. */
export function capFields(cap: OutputCap, bound: number): Record<string, number> {
  return { [cap.field]: cap.most === null ? bound : Math.min(bound, cap.most) };
}

/** After a refusal: the cap to ask again with when the body blames the field or its size; null when it does not. */
export function amendCap(cap: OutputCap, status: number, body: string): OutputCap | null {
  if (status !== 400 || !body.includes(cap.field)) return null;
  const most = /at most (\d+)\s+(?:completion |output )?tokens/i.exec(body);
  if (most?.[1] !== undefined) {
    const n = Number(most[1]);
    return n > 0 && (cap.most === null || n < cap.most) ? { ...cap, most: n } : null;
  }
  if (/unsupported|not supported|unrecognized|unknown|extra|not permitted/i.test(body)) {
    return { ...cap, field: cap.field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens' };
  }
  return null;
}
