/**
 * The net driver's table entry: the fetch limits and the policy's private-address openings fixed
 * once, and per process a GET that asks the process's net.fetch capability of every hop's host.
 */
import type { ProcessNet } from '../../sys/driver-api.js';
import { param } from '../../sys/param.js';
import { defineDriver } from '../driver.js';
import { guardedFetch, type NetFetchOptions } from './fetch.js';

export type NetHost = Omit<NetFetchOptions, 'allowHost'>;

export const netDriver = defineDriver({
  name: 'net',
  summary: 'HTTP(S) GET of public addresses, pinned and re-checked on every redirect (NET_FETCH)',
  open: (config): NetHost => ({
    maxBodyBytes: param.netMaxBodyBytes,
    connectTimeoutMs: param.netConnectTimeoutMs,
    totalTimeoutMs: param.netTotalTimeoutMs,
    maxRedirects: param.netMaxRedirects,
    allowPrivate: (ip, port) => config.allowPrivate(ip, port),
  }),
  scope: (host, proc): ProcessNet => ({
    fetch: (url, headers, options = {}) =>
      guardedFetch(
        url,
        headers,
        {
          ...host,
          allowHost: (name) => proc.allows(`net.fetch:${name}`),
          ...(options.originBound ? { originBound: options.originBound } : {}),
        },
        proc.signal,
      ),
  }),
});
