/** The limits a user gives the model pool per provider or model (AOS_LIMITS), and their parser. */

export interface LaneLimits {
  /** A fixed limit on inferences in flight: the adaptive limit is off. */
  concurrency?: number;
  /** Where the adaptive limit starts (instead of the provider class's default). */
  start?: number;
  rpm?: number;
  tpm?: number;
}

const KEYS = ['concurrency', 'start', 'rpm', 'tpm'] as const;
type Key = (typeof KEYS)[number];

function isKey(k: string | undefined): k is Key {
  return (KEYS as readonly string[]).includes(k ?? '');
}

/** `AOS_LIMITS="gemini:rpm=60,tpm=1000000,concurrency=4;openai:start=256"` */
export function parseLimits(text: string | undefined): Record<string, LaneLimits> {
  const out: Record<string, LaneLimits> = {};
  if (!text) return out;
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const lastColon = eq === -1 ? -1 : part.lastIndexOf(':', eq);
    if (lastColon <= 0) throw new Error(`AOS_LIMITS: "${part}" is not lane:key=value,... (e.g. gemini:rpm=60,tpm=1000000)`);
    const lane = part.slice(0, lastColon);
    const limits: LaneLimits = {};
    for (const kv of part.slice(lastColon + 1).split(',')) {
      const [k, v] = kv.split('=').map((s) => s.trim());
      const n = Number(v);
      if (!isKey(k) || !Number.isFinite(n) || n <= 0) {
        throw new Error(`AOS_LIMITS: bad "${kv}" for ${lane} (use rpm=N, tpm=N, concurrency=N or start=N)`);
      }
      limits[k] = n;
    }
    out[lane] = limits;
  }
  return out;
}
