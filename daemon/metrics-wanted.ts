/**
 * Whether the daemon serves `/metrics` (AOS_METRICS), apart from the route itself: the route and
 * its Prometheus client (~65 ms of a start) are loaded only when it does.
 */

/** AOS_METRICS: `1` (or `true`) serves the metrics; unset, empty or `0` does not; anything else is a mistake said at start. */
export function metricsWanted(raw: string | undefined): boolean {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`AOS_METRICS must be 1 (serve /metrics on the gateway) or 0 (got "${raw}")`);
}
