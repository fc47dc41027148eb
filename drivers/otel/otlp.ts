/**
 * Traces over OTLP/HTTP with the OpenTelemetry JS SDK (issue 51): a tracer provider, a batch span
 * processor and the OTLP/HTTP exporter (JSON encoding), made once when the daemon starts and only
 * when config.ts says the operator asked for traces. The SDK is loaded here, at that moment (a
 * dynamic import): a kernel that exports nothing loads none of it. What the kernel puts in spans is
 * kernel/loop/tracing.ts's business; this is the pipe, and the one place that names the SDK.
 */
import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { KERNEL_VERSION } from '../../sys/version.js';
import { tracingConfig, type TracingConfig } from './config.js';

export { tracingConfig, type TracingConfig } from './config.js';

/** A span the kernel opened: attributes added as it goes, a failure said, then ended once. */
export interface OpenSpan {
  readonly context: SpanContext;
  set(attributes: Attributes): void;
  /** Status error with this description (the caller has masked and bounded it). */
  failed(description: string): void;
  end(): void;
}

export interface SpanStart {
  /** CLIENT for a request to a model provider, INTERNAL for work in the kernel. */
  readonly kind: 'client' | 'internal';
  readonly attributes?: Attributes;
  /** The span it is a child of (same trace); a root span of a new trace when absent. */
  readonly parent?: SpanContext;
  readonly links?: Link[];
}

/** What the kernel traces through. */
export interface Tracing {
  /** Where spans go, for the log (no header, so no key). */
  readonly url: string;
  start(name: string, how: SpanStart): OpenSpan;
  /** Export what is queued now. */
  flush(): Promise<void>;
  /** Export what is queued, then stop: the daemon's stop. */
  shutdown(): Promise<void>;
}

export type TraceLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** The tracing the environment configures (config.ts), the SDK loaded for it; null when none is asked. */
export async function openTracing(
  env: Readonly<Record<string, string | undefined>>,
  log: TraceLog,
): Promise<Tracing | null> {
  const config = tracingConfig(env);
  return config ? openOtlp(config, log) : null;
}

export async function openOtlp(config: TracingConfig, log: TraceLog): Promise<Tracing> {
  const [api, sdk, resources, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  for (const note of config.notes) log('warn', note);
  const exporter = reporting(
    new otlp.OTLPTraceExporter({
      url: config.url,
      headers: { ...config.headers },
      ...(config.timeoutMillis !== undefined ? { timeoutMillis: config.timeoutMillis } : {}),
    }),
    config.url,
    log,
  );
  const { sampler: s } = config;
  const root =
    s.kind === 'always_on'
      ? new sdk.AlwaysOnSampler()
      : s.kind === 'always_off'
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(s.ratio);
  const provider = new sdk.TracerProvider({
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({
        ...config.resource,
        'service.name': config.serviceName,
        'service.version': KERNEL_VERSION,
      }),
    ),
    sampler: s.parentBased ? new sdk.ParentBasedSampler({ root }) : root,
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, ...config.batch })],
  });
  const tracer = provider.getTracer('aos', KERNEL_VERSION);
  const kinds = { client: api.SpanKind.CLIENT, internal: api.SpanKind.INTERNAL } as const;
  log('info', `traces: OTLP/HTTP (JSON) to ${config.url}, service.name ${config.serviceName}`);
  return {
    url: config.url,
    start(name, how) {
      const parent = how.parent ? api.trace.setSpanContext(api.ROOT_CONTEXT, how.parent) : api.ROOT_CONTEXT;
      const span = tracer.startSpan(
        name,
        { kind: kinds[how.kind], attributes: how.attributes, links: how.links, root: how.parent === undefined },
        parent,
      );
      return {
        context: span.spanContext(),
        set: (attributes) => void span.setAttributes(attributes),
        failed: (description) => void span.setStatus({ code: api.SpanStatusCode.ERROR, message: description }),
        end: () => span.end(),
      };
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** The exporter, its failures said in the daemon's log: the first of a run of them, and when exports work again. */
function reporting(exporter: SpanExporter, url: string, log: TraceLog): SpanExporter {
  let failing = false;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== 0 && !failing) {
          failing = true;
          const why = result.error?.message ?? 'failed';
          log(
            'warn',
            `traces: could not export ${spans.length} span(s) to ${url}: ${why} (said once until an export works)`,
          );
        } else if (result.code === 0 && failing) {
          failing = false;
          log('info', `traces: exporting to ${url} again`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
