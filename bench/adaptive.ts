/**
 * Does the pool learn a provider's capacity? The fake provider (its own process, the real
 * OpenAI-compatible driver) serves at most N requests at once and answers 503 beyond that, with
 * no hint of N. 4 × N agents keep it saturated; the provider's limit is sampled every 100 ms.
 * Two starts: from above (a hosted API's start of 1,024: a burst of 503s to absorb) and from
 * below (the fake listens on 127.0.0.1, so by default it is a local server: start at 4).
 * Reported: the limit at 10 s (`--at`) over N (target within ±25%), the time after which it stays
 * within ±25%, 503s sent, model errors that reached an agent (target 0), and the samples.
 *
 *   node --import tsx bench/adaptive.ts [--capacity 50] [--latency 200] [--seconds 12] [--at 10] [--from above,below]
 */
import { param } from '../sys/param.js';
import type { LaneLimits } from '../kernel/sched/pool-limits.js';
import { many, runAgents, startFleet } from './fleet.js';
import { type Figure, figure, flag, report } from './report.js';

const capacity = Number(flag('capacity', '50'));
const latency = Number(flag('latency', '200'));
const seconds = Number(flag('seconds', '12'));
const starts = flag('from', 'above,below').split(',') as Array<'above' | 'below'>;
const SAMPLE_MS = 100;
/** When the limit is read against the capacity (`--at`; the run lasts `--seconds`, a little longer). */
const AT_S = Number(flag('at', '10'));
const BAND = 0.25;

interface Sample {
  t_ms: number;
  limit: number | null;
  in_flight: number;
  queued: number;
  retrying: number;
}

async function learn(
  from: 'above' | 'below',
): Promise<{ samples: Sample[]; errors: number; failed: number; refusals: number; served: number }> {
  const exitAt = Date.now() + seconds * 1000;
  const limits: Record<string, LaneLimits> =
    from === 'above' ? { openai: { start: param.hostedConcurrencyStart } } : {};
  const fleet = await startFleet({ latencyMs: { '*': latency }, exitAt, maxConcurrent: capacity }, limits);
  const samples: Sample[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => {
    const p = fleet.kernel.stats().providers.find((s) => s.provider === 'openai');
    if (p)
      samples.push({
        t_ms: Math.round(performance.now() - t0),
        limit: p.limit,
        in_flight: p.in_flight,
        queued: p.queued,
        retrying: p.retrying,
      });
  }, SAMPLE_MS);
  try {
    const run = await runAgents(fleet, many(4 * capacity, 'agent'));
    const stats = await (fleet.fake?.stats() ?? Promise.reject(new Error('no fake provider')));
    return {
      samples,
      errors: fleet.errors.length,
      failed: run.failed,
      refusals: stats.capacityRejections,
      served: stats.ok,
    };
  } finally {
    clearInterval(timer);
    await fleet.close();
  }
}

const within = (s: Sample): boolean => s.limit !== null && Math.abs(s.limit - capacity) <= BAND * capacity;

/** Seconds after which every sample up to AT_S is within the band (Infinity if the last one is not). */
function convergedAfter(samples: Sample[]): number {
  const upTo = samples.filter((s) => s.t_ms <= AT_S * 1000);
  let i = upTo.length;
  while (i > 0 && within(upTo[i - 1] as Sample)) i--;
  if (i === upTo.length) return Infinity;
  return i === 0 ? 0 : (upTo[i]?.t_ms ?? 0) / 1000;
}

const figures: Figure[] = [];
const runs: Record<string, unknown> = {};
for (const from of starts) {
  const r = await learn(from);
  const at = r.samples.filter((s) => s.t_ms <= AT_S * 1000).at(-1);
  const ratio = (at?.limit ?? 0) / capacity;
  const after = convergedAfter(r.samples);
  runs[from] = {
    ...r,
    limit_at_10s: at?.limit ?? null,
    converged_after_s: after,
    served_per_s: Number((r.served / seconds).toFixed(1)),
  };
  figures.push(
    figure(
      `adaptive.${from}.limit_over_capacity`,
      ratio,
      '×',
      `limit at ${AT_S} s over the capacity N=${capacity} (from ${from})`,
      { min: 1 - BAND, max: 1 + BAND },
    ),
    figure(
      `adaptive.${from}.converge`,
      after,
      's',
      `time after which the limit stays within ±${BAND * 100}% of N (from ${from})`,
      { max: AT_S },
    ),
    figure(
      `adaptive.${from}.errors_reaching_agents`,
      r.errors + r.failed,
      'errors',
      `model errors that reached an agent among the 503s (from ${from})`,
      { max: 0 },
    ),
  );
}
report(
  'adaptive',
  {
    capacity,
    latency_ms: latency,
    seconds,
    agents: 4 * capacity,
    ideal_served_per_s: (capacity * 1000) / latency,
    runs,
  },
  figures,
);
