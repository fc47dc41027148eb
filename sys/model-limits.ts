/**
 * The limits a user gives each model provider or model (AOS_LIMITS), their parser, and the
 * deadlines of one model's requests with the setting that bounds each (for its failures to name).
 * The model pool reads the rate and concurrency limits (kernel/sched), the drivers the deadlines
 * (drivers/llm/deadline.ts); the defaults are param's (param-models.ts).
 */
import { param } from './param.js';

export interface LaneLimits {
  /** A fixed limit on inferences in flight: the adaptive limit is off. */
  concurrency?: number;
  /** Where the adaptive limit starts (instead of the provider class's default). */
  start?: number;
  /**
   * What kind of server this is, instead of the guess from its address (a loopback, private or
   * `.local` address is taken for a local model server): `hosted` for a gateway or tunnel on this
   * machine that forwards to a hosted API (LiteLLM, an SSH tunnel) — starts high, no latency rule;
   * `local` for a model server at a public address — starts low, cut when its latency says requests
   * queue. Only a provider's own lane takes it (a model's lane has no class).
   */
  class?: ServerClass;
  rpm?: number;
  tpm?: number;
  /** Seconds without the first byte of an answer before the server is asked whether it is there. */
  first_byte_s?: number;
  /** Seconds a stream that has begun may go without a byte. */
  idle_s?: number;
  /** Seconds one attempt may take, whole. */
  reply_s?: number;
}

export type ServerClass = 'hosted' | 'local';
const CLASSES: readonly string[] = ['hosted', 'local'] satisfies ServerClass[];

const KEYS = ['concurrency', 'start', 'rpm', 'tpm', 'first_byte_s', 'idle_s', 'reply_s'] as const;
type Key = (typeof KEYS)[number];

function isKey(k: string | undefined): k is Key {
  return (KEYS as readonly string[]).includes(k ?? '');
}

/** `AOS_LIMITS="gemini:rpm=60,tpm=1000000,concurrency=4;openai:start=256,first_byte_s=90"` */
export function parseLimits(text: string | undefined): Record<string, LaneLimits> {
  const out: Record<string, LaneLimits> = {};
  if (!text) return out;
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const lastColon = eq === -1 ? -1 : part.lastIndexOf(':', eq);
    if (lastColon <= 0)
      throw new Error(`AOS_LIMITS: "${part}" is not lane:key=value,... (e.g. gemini:rpm=60,tpm=1000000)`);
    const lane = part.slice(0, lastColon);
    const limits: LaneLimits = {};
    for (const kv of part.slice(lastColon + 1).split(',')) {
      const [k, v] = kv.split('=').map((s) => s.trim());
      if (k === 'class') {
        if (v === undefined || !CLASSES.includes(v))
          throw new Error(`AOS_LIMITS: bad "${kv}" for ${lane} (class is hosted or local)`);
        if (lane.includes(':'))
          throw new Error(`AOS_LIMITS: class is a provider's, not a model's: put it on "${lane.split(':')[0]}"`);
        limits.class = v as ServerClass;
        continue;
      }
      const n = Number(v);
      if (!isKey(k) || !Number.isFinite(n) || n <= 0) {
        throw new Error(
          `AOS_LIMITS: bad "${kv}" for ${lane} (use rpm=N, tpm=N, concurrency=N, start=N, class=hosted|local, first_byte_s=S, idle_s=S or reply_s=S)`,
        );
      }
      limits[k] = n;
    }
    out[lane] = limits;
  }
  return out;
}

/** One model's deadlines in milliseconds, and where each is set (`AOS_LIMITS openai first_byte_s`). */
export interface ModelDeadlines {
  firstByteMs: number;
  idleMs: number;
  replyMs: number;
  /** The probe's limit: as long as the first byte had, at most param.modelProbeS. */
  probeMs: number;
  settings: { firstByte: string; idle: string; reply: string };
}

type DeadlineKey = 'first_byte_s' | 'idle_s' | 'reply_s';

/** The deadlines of `model` (`openai:llama3.1:8b`): its own AOS_LIMITS entry, else its provider's, else param's. */
export function deadlinesOf(limits: Readonly<Record<string, LaneLimits>>, model: string): ModelDeadlines {
  const colon = model.indexOf(':');
  const provider = colon === -1 ? model : model.slice(0, colon);
  const pick = (key: DeadlineKey, fallback: number): { ms: number; setting: string } => {
    const lane = [model, provider].find((name) => limits[name]?.[key] !== undefined);
    const seconds = lane === undefined ? fallback : (limits[lane]?.[key] ?? fallback);
    return { ms: Math.round(seconds * 1000), setting: `AOS_LIMITS ${lane ?? provider} ${key}` };
  };
  const firstByte = pick('first_byte_s', param.modelFirstByteS);
  const idle = pick('idle_s', param.modelIdleS);
  const reply = pick('reply_s', param.modelReplyS);
  return {
    firstByteMs: firstByte.ms,
    idleMs: idle.ms,
    replyMs: reply.ms,
    probeMs: Math.min(param.modelProbeS * 1000, firstByte.ms),
    settings: { firstByte: firstByte.setting, idle: idle.setting, reply: reply.setting },
  };
}
