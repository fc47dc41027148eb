/**
 * The bytes of a chat completions request (openai.ts): the JSON of toWire, encoded as UTF-8, with
 * the system prompt's part encoded once. A process sends the same system prompt on every turn (the
 * kernel builds it once: a stable prefix also keeps a provider's prompt cache warm), and it is most
 * of a request — ~4.5 KB of an agent's first ~5 KB, more with MCP tools or skills in it. Serialising
 * it again each turn cost the kernel's thread ~30 µs and ~30 KB of short-lived garbage a request
 * (JSON.stringify's growing buffer, then the copy to bytes; one arrow or dash in the prompt makes the
 * string two bytes a character), at 1,000 agents more than any other part of the HTTP client.
 *
 * The encoded prompts are kept by their text, the most recently used first, up to
 * param.llmPromptBytesKept in all (a process's prompt is kept while it runs; an ended one's goes
 * when room is needed): one per process on this model, so a few KB an agent.
 */
import { param } from '../../sys/param.js';
import type { ModelRequest } from './types.js';

export interface WireMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Encoded system messages by prompt text; a Map iterates in insertion order, so its first key is the least recently used. */
const kept = new Map<string, Buffer>();
let keptBytes = 0;

/** `{"role":"system","content":<system>}` as UTF-8 bytes. */
function systemPart(system: string): Buffer {
  const hit = kept.get(system);
  if (hit !== undefined) {
    kept.delete(system);
    kept.set(system, hit);
    return hit;
  }
  const part = Buffer.from(JSON.stringify({ role: 'system', content: system } satisfies WireMessage));
  if (part.length > param.llmPromptBytesKept) return part;
  for (const [text, old] of kept) {
    if (keptBytes + part.length <= param.llmPromptBytesKept) break;
    kept.delete(text);
    keptBytes -= old.length;
  }
  kept.set(system, part);
  keptBytes += part.length;
  return part;
}

/**
 * The request body: exactly JSON.stringify of `{model, messages, ...rest}` where `messages` is the
 * system message (when `system` is not empty) then `messages`, and `rest` the fields after them.
 */
export function encodeBody(
  model: string,
  request: Pick<ModelRequest, 'system'>,
  messages: readonly WireMessage[],
  rest: Record<string, unknown>,
): Buffer {
  const head = `{"model":${JSON.stringify(model)},"messages":[`;
  const listed = messages.length === 0 ? '' : JSON.stringify(messages).slice(1, -1);
  const fields = JSON.stringify(rest);
  const end = fields === '{}' ? ']}' : `],${fields.slice(1)}`;
  if (request.system === '') return Buffer.from(`${head}${listed}${end}`);
  const system = systemPart(request.system);
  const after = listed === '' ? end : `,${listed}${end}`;
  // One buffer, written in place: no intermediate copies of the pieces.
  const headBytes = Buffer.byteLength(head);
  const body = Buffer.allocUnsafe(headBytes + system.length + Buffer.byteLength(after));
  body.write(head, 0);
  system.copy(body, headBytes);
  body.write(after, headBytes + system.length);
  return body;
}

/** The prompts kept and their bytes (for tests). */
export function keptPrompts(): { count: number; bytes: number } {
  return { count: kept.size, bytes: keptBytes };
}
