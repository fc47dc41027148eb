/**
 * aos's reading of ipaddr.js's special-purpose ranges (its `range()` names): which are allowed,
 * what aos calls the rest, and the ranges aos names itself — narrower than ipaddr.js's (cloud
 * metadata inside link-local, documentation inside `reserved`) or unknown to it (IPv4-compatible
 * IPv6, addresses outside 2000::/3). A name ipaddr.js adds later is blocked until it is listed here.
 */
import ipaddr from 'ipaddr.js';

type Cidr<T> = [T, number];
/** ipaddr.subnetMatch's range list: a name, then one range or several. */
export type RangeList<T> = Record<string, Cidr<T> | Cidr<T>[]>;

const v4 = (cidr: string): Cidr<ipaddr.IPv4> => ipaddr.IPv4.parseCIDR(cidr);
const v6 = (cidr: string): Cidr<ipaddr.IPv6> => ipaddr.IPv6.parseCIDR(cidr);

/** ipaddr.js ranges that IANA marks globally reachable (AS112 and AMT anycast, drone ids) and `unicast`. */
export const ALLOWED: ReadonlySet<string> = new Set([
  'unicast',
  'as112',
  'amt',
  'as112v6',
  'droneRemoteIdProtocolEntityTags',
]);

export const V4_NAMES: ReadonlyMap<string, string> = new Map([
  ['unspecified', 'this network'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['linkLocal', 'link-local'],
  ['loopback', 'loopback'],
  ['carrierGradeNat', 'CGNAT'],
  ['private', 'private'],
  ['reserved', 'reserved'],
]);

export const V6_NAMES: ReadonlyMap<string, string> = new Map([
  ['unspecified', 'unspecified'],
  ['linkLocal', 'link-local'],
  ['multicast', 'multicast'],
  ['loopback', 'loopback'],
  ['uniqueLocal', 'unique-local'],
  ['deprecatedSiteLocal', 'site-local'],
  ['discard', 'discard-only'],
  ['rfc6145', 'IPv4-translated'],
  ['teredo', 'Teredo'],
  ['benchmarking', 'benchmarking'],
  ['deprecatedOrchid', 'ORCHID'],
  ['orchid2', 'ORCHID'],
  ['segmentRouting', 'segment routing'],
  // 2001::/23 once documentation and 3fff::/20 are taken out (V6_OWN).
  ['reserved', 'IETF protocol assignment'],
]);

/** Checked before ipaddr.js's ranges; names within one list do not overlap. */
export const V4_OWN: RangeList<ipaddr.IPv4> = {
  'cloud metadata': v4('169.254.169.254/32'),
  'IETF protocol assignment': v4('192.0.0.0/24'),
  documentation: [v4('192.0.2.0/24'), v4('198.51.100.0/24'), v4('203.0.113.0/24')],
  '6to4 relay': v4('192.88.99.0/24'),
  benchmarking: v4('198.18.0.0/15'),
};

export const V6_OWN: RangeList<ipaddr.IPv6> = {
  // Inside ipaddr.js's rfc6052, but where it carries the IPv4 address depends on the network's prefix: blocked whole.
  'NAT64 local-use': v6('64:ff9b:1::/48'),
  documentation: [v6('2001:db8::/32'), v6('3fff::/20')],
};

/** Ranges that carry an IPv4 address, and where: judged by that address. */
export const EMBEDDING: ReadonlyMap<string, { name: string; bytes: (address: number[]) => number[] }> = new Map([
  ['ipv4Mapped', { name: 'IPv4-mapped', bytes: (b: number[]) => b.slice(12, 16) }],
  ['rfc6052', { name: 'NAT64', bytes: (b: number[]) => b.slice(12, 16) }],
  ['6to4', { name: '6to4', bytes: (b: number[]) => b.slice(2, 6) }],
]);

/** ::/96 (deprecated IPv4-compatible addresses), which ipaddr.js calls unicast. */
export const IPV4_COMPATIBLE = v6('::/96');
export const GLOBAL_UNICAST = v6('2000::/3');
