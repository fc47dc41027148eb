/**
 * Whether, and where, the kernel exports traces: read from the OpenTelemetry SDK's standard
 * variables, the way OTel-instrumented services read them. Nothing is exported unless the operator
 * names an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or asks for
 * the OTLP exporter by name (OTEL_TRACES_EXPORTER=otlp: the default endpoint, localhost:4318);
 * OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true turn it off whatever else is set. A setting
 * aos cannot honour (another exporter, gRPC, a URL that is not http(s)) is a clear error at start,
 * never a silent fallback. This file reads text only: the SDK is loaded (otlp.ts) once this says so.
 */

export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP, JSON encoding): `…/v1/traces`. */
  readonly url: string;
  /** OTEL_EXPORTER_OTLP_HEADERS, then …_TRACES_HEADERS over them (an API key: never logged). */
  readonly headers: Readonly<Record<string, string>>;
  /** OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES' service.name, else `aos`. */
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded. */
  readonly resource: Readonly<Record<string, string>>;
  /** OTEL_TRACES_SAMPLER (+ _ARG): every turn by default. */
  readonly sampler: {
    readonly kind: 'always_on' | 'always_off' | 'ratio';
    readonly ratio: number;
    readonly parentBased: boolean;
  };
  /** OTEL_BSP_*: the batch processor's delay and sizes, the SDK's defaults when unset. */
  readonly batch: {
    scheduledDelayMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
    exportTimeoutMillis?: number;
  };
  /** OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT in ms. */
  readonly timeoutMillis?: number;
  /** What the daemon's log should say at start (settings read but not followed to the letter). */
  readonly notes: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_URL = 'http://localhost:4318/v1/traces';

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/** `k=v,k2=v2` with percent-encoded keys and values (the W3C baggage form the spec uses). */
export function parsePairs(raw: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    if (at <= 0) throw new Error(`${what}: "${part.trim()}" is not key=value (comma-separated pairs)`);
    try {
      out[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      throw new Error(`${what}: "${part.slice(0, at).trim()}" has a malformed percent-encoding`);
    }
  }
  return out;
}

function httpUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${what} must be an http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${what} must be an http(s) URL: aos exports over OTLP/HTTP (got "${raw}")`);
  return url.href;
}

function count(env: Env, name: string, min: number): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
  return n;
}

function sampler(env: Env): TracingConfig['sampler'] {
  const raw = (value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const parentBased = raw.startsWith('parentbased_');
  const kind = parentBased ? raw.slice('parentbased_'.length) : raw;
  if (kind === 'always_on' || kind === 'always_off') return { kind, ratio: kind === 'always_on' ? 1 : 0, parentBased };
  if (kind !== 'traceidratio')
    throw new Error(
      `OTEL_TRACES_SAMPLER=${raw} is not supported (always_on, always_off, traceidratio, or parentbased_ of one)`,
    );
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG') ?? '1';
  const ratio = Number(arg);
  if (!(ratio >= 0 && ratio <= 1))
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (got "${arg}")`);
  return { kind: 'ratio', ratio, parentBased };
}

/** The tracing the environment asks for, or null when it asks for none. Throws on what aos cannot honour. */
export function tracingConfig(env: Env): TracingConfig | null {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporters = (value(env, 'OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (exporters.includes('none')) return null;
  const other = exporters.filter((e) => e !== 'otlp');
  if (other.length > 0)
    throw new Error(
      `OTEL_TRACES_EXPORTER=${other.join(',')} is not supported: aos exports traces over OTLP/HTTP (otlp, or none)`,
    );
  const specific = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (specific === undefined && general === undefined && exporters.length === 0) return null;
  const url =
    specific !== undefined
      ? httpUrl(specific, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
      : general !== undefined
        ? httpUrl(`${general.replace(/\/+$/, '')}/v1/traces`, 'OTEL_EXPORTER_OTLP_ENDPOINT')
        : DEFAULT_URL;
  const notes: string[] = [];
  const protocolName = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(env, protocolName)?.toLowerCase();
  if (protocol === 'grpc')
    throw new Error(
      `${protocolName}=grpc is not supported: aos exports traces over OTLP/HTTP (http/json); point it at the collector's HTTP port (4318)`,
    );
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf')
    throw new Error(`${protocolName}=${protocol} is not an OTLP protocol (http/json, http/protobuf, grpc)`);
  if (protocol === 'http/protobuf')
    notes.push(
      `${protocolName}=http/protobuf: aos sends OTLP/HTTP's JSON encoding to the same path, which OTLP/HTTP receivers accept`,
    );
  const resource = parsePairs(value(env, 'OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES');
  const exportTimeout =
    count(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 1) ?? count(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 1);
  return {
    url,
    headers: {
      ...parsePairs(value(env, 'OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parsePairs(value(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    serviceName: value(env, 'OTEL_SERVICE_NAME') ?? resource['service.name'] ?? 'aos',
    resource,
    sampler: sampler(env),
    batch: {
      scheduledDelayMillis: count(env, 'OTEL_BSP_SCHEDULE_DELAY', 0),
      maxQueueSize: count(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 1),
      maxExportBatchSize: count(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1),
      exportTimeoutMillis: count(env, 'OTEL_BSP_EXPORT_TIMEOUT', 1),
    },
    ...(exportTimeout !== undefined ? { timeoutMillis: exportTimeout } : {}),
    notes,
  };
}
