/**
 * Which IP addresses an agent may reach: everything globally routable, nothing local, private,
 * reserved or tunnelled towards those. Works on parsed bytes, never on string prefixes.
 */
import { isIP } from 'node:net';

export interface AddressClass {
  allowed: boolean;
  /** `public`, or the name of the blocked range (`loopback`, `private`, ...). */
  range: string;
}

type Embedded = 'none' | 'last32' | 'bytes2to5';

interface Range {
  bytes: number[];
  bits: number;
  name: string;
  /** Tunnelling prefixes are judged by the IPv4 address they carry. */
  embedded: Embedded;
}

export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

function parseGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (part.includes('.') && i === parts.length - 1) {
      const v4 = parseIPv4(part);
      if (!v4) return null;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

export function parseIPv6(text: string): number[] | null {
  const halves = text.replace(/%.*$/, '').split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function cidr(prefix: string, bits: number, name: string, embedded: Embedded = 'none'): Range {
  const bytes = prefix.includes(':') ? parseIPv6(prefix) : parseIPv4(prefix);
  if (!bytes) throw new Error(`bad range ${prefix}`);
  return { bytes, bits, name, embedded };
}

// First match wins, so narrower entries precede the ranges that contain them.
const V4_RANGES: Range[] = [
  cidr('0.0.0.0', 8, 'this network'),
  cidr('10.0.0.0', 8, 'private'),
  cidr('100.64.0.0', 10, 'CGNAT'),
  cidr('127.0.0.0', 8, 'loopback'),
  cidr('169.254.169.254', 32, 'cloud metadata'),
  cidr('169.254.0.0', 16, 'link-local'),
  cidr('172.16.0.0', 12, 'private'),
  cidr('192.0.0.0', 24, 'IETF protocol assignment'),
  cidr('192.0.2.0', 24, 'documentation'),
  cidr('192.88.99.0', 24, '6to4 relay'),
  cidr('192.168.0.0', 16, 'private'),
  cidr('198.18.0.0', 15, 'benchmarking'),
  cidr('198.51.100.0', 24, 'documentation'),
  cidr('203.0.113.0', 24, 'documentation'),
  cidr('224.0.0.0', 4, 'multicast'),
  cidr('255.255.255.255', 32, 'broadcast'),
  cidr('240.0.0.0', 4, 'reserved'),
];

const V6_RANGES: Range[] = [
  cidr('::', 128, 'unspecified'),
  cidr('::1', 128, 'loopback'),
  cidr('::ffff:0:0', 96, 'IPv4-mapped', 'last32'),
  cidr('::', 96, 'IPv4-compatible'),
  cidr('::ffff:0:0:0', 96, 'IPv4-translated'),
  cidr('64:ff9b::', 96, 'NAT64', 'last32'),
  cidr('64:ff9b:1::', 48, 'NAT64 local-use'),
  cidr('100::', 64, 'discard-only'),
  cidr('2001::', 32, 'Teredo'),
  cidr('2001:2::', 48, 'benchmarking'),
  cidr('2001:10::', 28, 'ORCHID'),
  cidr('2001:20::', 28, 'ORCHID'),
  cidr('2001:db8::', 32, 'documentation'),
  cidr('2002::', 16, '6to4', 'bytes2to5'),
  cidr('3fff::', 20, 'documentation'),
  cidr('fc00::', 7, 'unique-local'),
  cidr('fe80::', 10, 'link-local'),
  cidr('fec0::', 10, 'site-local'),
  cidr('ff00::', 8, 'multicast'),
];

// Only 2000::/3 is allocated as global unicast; anything else is reserved today.
const V6_GLOBAL = cidr('2000::', 3, 'global unicast');

function matches(bytes: number[], range: Range): boolean {
  for (let bit = 0; bit < range.bits; bit += 8) {
    const width = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((range.bytes[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyV4(bytes: number[]): AddressClass {
  const range = V4_RANGES.find((r) => matches(bytes, r));
  return range ? { allowed: false, range: range.name } : { allowed: true, range: 'public' };
}

function classifyV6(bytes: number[]): AddressClass {
  const range = V6_RANGES.find((r) => matches(bytes, r));
  if (range && range.embedded !== 'none') {
    const inner = range.embedded === 'last32' ? bytes.slice(12, 16) : bytes.slice(2, 6);
    const result = classifyV4(inner);
    return { allowed: result.allowed, range: `${result.range} (${range.name})` };
  }
  if (range) return { allowed: false, range: range.name };
  return matches(bytes, V6_GLOBAL) ? { allowed: true, range: 'public' } : { allowed: false, range: 'reserved' };
}

/** Classify one IP address (IPv4, or IPv6 with or without brackets / zone); anything unparsable is blocked. */
export function classifyAddress(ip: string): AddressClass {
  const text = ip.replace(/^\[(.*)\]$/, '$1');
  const bare = text.replace(/%.*$/, '');
  const family = isIP(bare) || isIP(text);
  const bytes = family === 4 ? parseIPv4(bare) : family === 6 ? parseIPv6(bare) : null;
  if (!bytes) return { allowed: false, range: 'invalid' };
  return family === 4 ? classifyV4(bytes) : classifyV6(bytes);
}

/**
 * The IP address a URL host names, or null for a DNS name. Numeric spellings (`2130706433`,
 * `0x7f.1`, `0177.0.0.1`, `127.1`) are left to WHATWG URL, which already rewrites them to dotted quads.
 */
export function parseHostLiteral(host: string): string | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return bare;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
  const normalised = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(normalised) ? normalised : null;
}
