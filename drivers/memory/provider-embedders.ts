/**
 * Provider embedders, and the choice of one by AOS_EMBEDDER:
 *   local                     (default) the hashed lexical embedder (embedders.ts): offline, deterministic
 *   gemini:<model>[:<dim>]    Google's embedding API via @google/genai (`ai.models.embedContent`),
 *                             e.g. gemini:gemini-embedding-001 or gemini:gemini-embedding-001:768;
 *                             key from GEMINI_API_KEY / GOOGLE_API_KEY, base URL GEMINI_BASE_URL
 *   openai:<model>[:<dim>]    an OpenAI-compatible POST /embeddings (OpenAI, Ollama, vLLM, ...),
 *                             e.g. openai:text-embedding-3-small; OPENAI_BASE_URL, OPENAI_API_KEY
 */
import { type Embedder, type EmbedPurpose, LocalEmbedder } from './embedders.js';
import { param } from '../../sys/param.js';
import { cappedResponse, isReplyTooLarge } from '../reply-cap.js';

export interface GeminiEmbedderOptions {
  model: string;
  apiKey: string | undefined;
  baseUrl?: string;
  /** outputDimensionality; the model's default when absent. */
  dim?: number;
}

/** Google's embedding models through @google/genai (`ai.models.embedContent`, batchEmbedContents). */
/** Node's fetch, the answer's body cut past param.llmReplyMaxBytes. */
const cappedFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> =>
  cappedResponse(await fetch(input, init));

/** `embed` of `id`, an answer cut off past its bound said as such (whatever the SDK made of it). */
async function saidCut<T>(id: string, where: string, embed: () => Promise<T>): Promise<T> {
  try {
    return await embed();
  } catch (error) {
    if (!isReplyTooLarge(error)) throw error;
    throw new Error(
      `embedder ${id}: ${where}: the answer passed ${param.llmReplyMaxBytes} bytes (param.llmReplyMaxBytes), more than embeddings take; cut off`,
      { cause: error },
    );
  }
}

export class GeminiEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch = 100;
  dim: number | null;
  private client: Promise<{
    embed: (texts: readonly string[], purpose: EmbedPurpose, signal?: AbortSignal) => Promise<number[][]>;
  }> | null = null;

  constructor(private readonly options: GeminiEmbedderOptions) {
    this.id = `gemini:${options.model}${options.dim ? `:${options.dim}` : ''}`;
    this.dim = options.dim ?? null;
  }

  async embed(texts: readonly string[], purpose: EmbedPurpose, signal?: AbortSignal): Promise<number[][]> {
    if (!this.options.apiKey) throw new Error(`embedder ${this.id} needs GEMINI_API_KEY or GOOGLE_API_KEY`);
    this.client ??= this.connect(this.options.apiKey);
    const client = await this.client;
    const vectors = await saidCut(this.id, this.options.baseUrl ?? 'the Gemini API', () =>
      client.embed(texts, purpose, signal),
    );
    return checkVectors(this, vectors, texts.length);
  }

  private async connect(apiKey: string): Promise<{
    embed: (texts: readonly string[], purpose: EmbedPurpose, signal?: AbortSignal) => Promise<number[][]>;
  }> {
    const { GoogleGenAI } = await import('@google/genai');
    const ai = new GoogleGenAI({
      apiKey,
      ...(this.options.baseUrl ? { httpOptions: { baseUrl: this.options.baseUrl } } : {}),
    });
    return {
      embed: async (texts, purpose, signal) => {
        const response = await ai.models.embedContent({
          model: this.options.model,
          contents: [...texts],
          config: {
            taskType: purpose === 'query' ? 'RETRIEVAL_QUERY' : 'RETRIEVAL_DOCUMENT',
            ...(this.options.dim ? { outputDimensionality: this.options.dim } : {}),
            ...(signal ? { abortSignal: signal } : {}),
            // Its body cut past param.llmReplyMaxBytes, as the model drivers' are.
            httpOptions: { fetch: cappedFetch },
          },
        });
        return (response.embeddings ?? []).map((e) => e.values ?? []);
      },
    };
  }
}

export interface OpenAIEmbedderOptions {
  model: string;
  apiKey: string | undefined;
  /** Default https://api.openai.com/v1. */
  baseUrl?: string;
  /** `dimensions` (text-embedding-3-*); the model's default when absent. */
  dim?: number;
}

/** Any OpenAI-compatible POST {base}/embeddings (OpenAI, Ollama, vLLM, llama.cpp, LM Studio). */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch = 256;
  dim: number | null;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.id = `openai:${options.model}${options.dim ? `:${options.dim}` : ''}`;
    this.dim = options.dim ?? null;
  }

  async embed(texts: readonly string[], _purpose: EmbedPurpose, signal?: AbortSignal): Promise<number[][]> {
    const base = (this.options.baseUrl || 'https://api.openai.com/v1').replace(/\/+$/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    // A server that sends without end is cut off (param.llmReplyMaxBytes), not read into the kernel's memory.
    const res = await cappedFetch(`${base}/embeddings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: this.options.model,
        input: texts,
        ...(this.options.dim ? { dimensions: this.options.dim } : {}),
      }),
      signal: signal ?? AbortSignal.timeout(60_000),
    });
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300);
      throw new Error(`embedder ${this.id}: ${base}/embeddings answered ${res.status}${body ? `: ${body}` : ''}`);
    }
    const json = (await saidCut(this.id, `${base}/embeddings`, () => res.json())) as {
      data?: Array<{ index?: number; embedding?: unknown }>;
    };
    const data = [...(json.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const vectors = data.map((d) => (Array.isArray(d.embedding) ? (d.embedding as number[]) : []));
    return checkVectors(this, vectors, texts.length);
  }
}

/** One vector per text, all of one finite length; fixes a provider embedder's `dim` on first use. */
function checkVectors(embedder: { id: string; dim: number | null }, vectors: number[][], expected: number): number[][] {
  if (vectors.length !== expected)
    throw new Error(`embedder ${embedder.id} returned ${vectors.length} vectors for ${expected} texts`);
  for (const v of vectors) {
    if (v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`embedder ${embedder.id} returned an empty or non-numeric vector`);
    }
    if (embedder.dim === null) embedder.dim = v.length;
    if (v.length !== embedder.dim)
      throw new Error(`embedder ${embedder.id} returned a vector of dimension ${v.length}, expected ${embedder.dim}`);
  }
  return vectors;
}

// ---------------------------------------------------------------------------------------------
// Choosing one
// ---------------------------------------------------------------------------------------------

/**
 * The embedder named by `spec` (AOS_EMBEDDER): `local` (default), `local:<dim>`,
 * `gemini:<model>[:<dim>]`, `openai:<model>[:<dim>]`. Throws on a malformed spec; a missing
 * API key is reported on first use instead, so memory fails with EIO and the kernel still runs.
 */
export function embedderFromSpec(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Embedder {
  const text = (spec ?? '').trim();
  if (text === '' || text === 'local') return new LocalEmbedder();
  const [kind, ...rest] = text.split(':');
  const last = rest[rest.length - 1];
  const dim = rest.length >= 2 && last !== undefined && /^\d+$/.test(last) ? Number(last) : undefined;
  const model = (dim === undefined ? rest : rest.slice(0, -1)).join(':');
  switch (kind) {
    case 'local': {
      if (!/^\d+$/.test(rest.join(':'))) throw new Error(`AOS_EMBEDDER "${text}": use local or local:<dimension>`);
      return new LocalEmbedder(Number(rest.join(':')));
    }
    case 'gemini':
      if (!model) throw new Error(`AOS_EMBEDDER "${text}": name the model, e.g. gemini:gemini-embedding-001`);
      return new GeminiEmbedder({
        model,
        apiKey: env.GEMINI_API_KEY || env.GOOGLE_API_KEY,
        baseUrl: env.GEMINI_BASE_URL || undefined,
        dim,
      });
    case 'openai':
      if (!model) throw new Error(`AOS_EMBEDDER "${text}": name the model, e.g. openai:text-embedding-3-small`);
      return new OpenAIEmbedder({ model, apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL || undefined, dim });
    default:
      throw new Error(`AOS_EMBEDDER "${text}" is not one of local, gemini:<model>, openai:<model>`);
  }
}
