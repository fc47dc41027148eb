/**
 * The net driver's table entry: the fetch limits and the policy's private-address openings fixed
 * once, and per process a GET that asks the process's net.fetch capability of every hop's host —
 * and the policy's net.fetch rules (and the hosts its hooks watch) of every redirect to another
 * host: the policy decided on the host the call named, so a redirect from there to a host a deny
 * or ask rule names (and the first does not) is refused, as a symlink is in the fs driver.
 */
import type { ProcessNet } from '../../sys/driver-api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { defineDriver } from '../driver.js';
import type { FsRule } from '../fs-rules.js';
import { guardedFetch, type NetFetchOptions } from './fetch.js';

export type NetHost = Omit<NetFetchOptions, 'allowHost'> & {
  /** The policy's rules in force now, and the hosts its hooks watch. */
  rules(): readonly FsRule[];
};

const bare = (host: string): string => host.replace(/\.+$/, '');

/** Why a redirect from `first` to `hop` is refused: a restricting net.fetch rule holds on `hop` but not on `first`; else null. */
export function ruleOnRedirect(rules: readonly FsRule[], first: string, hop: string): string | null {
  if (bare(hop) === bare(first)) return null;
  const holds = (r: FsRule, host: string): boolean => r.regex === null || r.regex.test(bare(host));
  const unmet = rules.filter(
    (r) => r.kind === 'net.fetch' && r.verdict !== 'allow' && holds(r, hop) && !holds(r, first),
  );
  if (unmet.length === 0) return null;
  return `${first} redirected to ${bare(hop)}, where the policy rule ${unmet.map((r) => r.text).join(', ')} holds: fetch ${bare(hop)} itself, so that the rule decides`;
}

function firstHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

export const netDriver = defineDriver({
  name: 'net',
  summary: 'HTTP(S) GET of public addresses, pinned and re-checked on every redirect (NET_FETCH)',
  open: (config): NetHost => ({
    maxBodyBytes: param.netMaxBodyBytes,
    connectTimeoutMs: param.netConnectTimeoutMs,
    totalTimeoutMs: param.netTotalTimeoutMs,
    maxRedirects: param.netMaxRedirects,
    allowPrivate: (ip, port) => config.allowPrivate(ip, port),
    rules: () => [...(config.fsRules?.() ?? []), ...(config.hookRules?.() ?? [])],
  }),
  scope: ({ rules, ...host }, proc): ProcessNet => ({
    fetch: (url, headers, options = {}) => {
      const first = firstHost(url);
      return guardedFetch(
        url,
        headers,
        {
          ...host,
          allowHost: (name) => {
            if (!proc.allows(`net.fetch:${name}`)) return false;
            const refused = first === null ? null : ruleOnRedirect(rules(), first, name);
            if (refused) throw new AosError('EPERM', refused);
            return true;
          },
          ...(options.originBound ? { originBound: options.originBound } : {}),
        },
        proc.signal,
      );
    },
  }),
});
