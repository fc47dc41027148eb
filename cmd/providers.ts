/** Per-provider concurrency and rate headroom, as `aos kernel status` and `aos top` print it. */
import type { ProviderStats } from '../protocol/views.js';
import { formatCount } from './top/format.js';

function limitOf(p: ProviderStats): string {
  return p.limit === null ? '∞' : String(p.limit);
}

/** The parts that are not zero or absent: retries, refusals, rate headroom. */
function extras(p: ProviderStats, long: boolean): string[] {
  const out: string[] = [];
  if (p.retrying > 0) out.push(`${p.retrying} retrying`);
  if (p.rpm_left !== null) out.push(long ? `${formatCount(p.rpm_left)} rpm left` : `rpm ${formatCount(p.rpm_left)}`);
  if (p.tpm_left !== null) out.push(long ? `${formatCount(p.tpm_left)} tpm left` : `tpm ${formatCount(p.tpm_left)}`);
  if (p.throttled > 0) out.push(long ? `${p.throttled} refused (429/503)` : `refused ${p.throttled}`);
  return out;
}

/** `openai 12/48 auto q3 rpm 58`: in flight / limit, how it is set, queued, then the rest. */
export function formatProviderShort(p: ProviderStats): string {
  const how = p.limit === null ? '' : p.adaptive ? ' auto' : ' fixed';
  return [
    `${p.provider} ${p.in_flight}/${limitOf(p)}${how}`,
    ...(p.queued > 0 ? [`q${p.queued}`] : []),
    ...extras(p, false),
  ].join(' ');
}

/** `openai: limit 48 (adaptive), 12 in flight, 3 queued, 58 rpm left` */
export function describeProvider(p: ProviderStats): string {
  const limit =
    p.limit === null ? 'unbounded' : `limit ${p.limit} (${p.adaptive ? 'adaptive' : 'fixed by AOS_LIMITS'})`;
  return [`${p.provider}: ${limit}`, `${p.in_flight} in flight`, `${p.queued} queued`, ...extras(p, true)].join(', ');
}
