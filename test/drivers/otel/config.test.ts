/** The OTEL_* variables as aos reads them (drivers/otel/config.ts): off unless named, refused when it cannot honour them. */
import { describe, expect, it } from 'vitest';
import { tracingConfig } from '../../../drivers/otel/config.js';
import { settingsOf } from '../../../protocol/settings.js';

describe('tracingConfig', () => {
  it('is off unless an endpoint or the otlp exporter is named', () => {
    expect(tracingConfig({})).toBeNull();
    expect(tracingConfig({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' })).toBeNull();
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' })?.url).toBe('http://localhost:4318/v1/traces');
  });

  it('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true win over an endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracingConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracingConfig(endpoint)?.url).toBe('http://collector:4318/v1/traces');
  });

  it('takes the traces endpoint as it is, and the general one with /v1/traces appended', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp/' })?.url).toBe(
      'https://c.example/otlp/v1/traces',
    );
    expect(
      tracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom',
      })?.url,
    ).toBe('http://b:9999/custom');
  });

  it('reads headers (the traces ones over the general), the service name and resource attributes', () => {
    const config = tracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=one,x-team=ops%20team',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=two',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=ignored',
      OTEL_SERVICE_NAME: 'aos-prod',
    });
    expect(config?.headers).toEqual({ 'api-key': 'two', 'x-team': 'ops team' });
    expect(config?.serviceName).toBe('aos-prod');
    expect(config?.resource['deployment.environment']).toBe('prod');
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' })?.serviceName).toBe('aos');
  });

  it('refuses what it cannot honour, saying which variable', () => {
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER=zipkin is not supported/,
    );
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /grpc is not supported.*4318/,
    );
    expect(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/http\(s\) URL/);
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not key=value/,
    );
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_SCHEDULE_DELAY: 'soon' })).toThrow(
      /OTEL_BSP_SCHEDULE_DELAY/,
    );
    const proto = tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
    expect(proto?.notes[0]).toMatch(/JSON encoding/);
  });

  it('reads the sampler', () => {
    const on = { OTEL_TRACES_EXPORTER: 'otlp' };
    expect(tracingConfig(on)?.sampler).toEqual({ kind: 'always_on', ratio: 1, parentBased: true });
    expect(
      tracingConfig({ ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })?.sampler,
    ).toEqual({ kind: 'ratio', ratio: 0.25, parentBased: false });
    expect(() => tracingConfig({ ...on, OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/not supported/);
  });

  it('is in the settings the CLI compares with the daemon, a header only as its fingerprint', () => {
    const settings = settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_HEADERS: 'k=v' });
    expect(settings.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://a:4318');
    expect(settings.OTEL_EXPORTER_OTLP_HEADERS).toMatch(/^sha256:[0-9a-f]{12}$/);
  });
});
