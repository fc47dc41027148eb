/**
 * Which IP addresses an agent may reach: everything globally routable, nothing local, private,
 * reserved or tunnelled towards those. ipaddr.js parses the address and names its special-purpose
 * range (IANA's registries, RFC 6890, kept current there); address-ranges.ts says which of those
 * names aos allows, what it calls them, and the ranges ipaddr.js does not know or names too coarsely.
 * Works on parsed addresses, never on string prefixes.
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import {
  ALLOWED,
  EMBEDDING,
  GLOBAL_UNICAST,
  IPV4_COMPATIBLE,
  V4_OWN,
  V6_OWN,
  V4_NAMES,
  V6_NAMES,
} from './address-ranges.js';

export interface AddressClass {
  allowed: boolean;
  /** `public`, or the name of the blocked range (`loopback`, `private`, ...). */
  range: string;
}

const PUBLIC: AddressClass = { allowed: true, range: 'public' };
const blocked = (range: string): AddressClass => ({ allowed: false, range });

/** The dotted quad's bytes; octal, hex and short forms are refused (WHATWG URL rewrites those first). */
export function parseIPv4(text: string): number[] | null {
  return parseAddress(text, 4)?.toByteArray() ?? null;
}

/** The 16 bytes of an IPv6 address (a zone is ignored). */
export function parseIPv6(text: string): number[] | null {
  return parseAddress(text.replace(/%.*$/, ''), 6)?.toByteArray() ?? null;
}

/** ipaddr.js's name for a range, as aos reports it; a name aos has no entry for is blocked under that name. */
function byName(names: ReadonlyMap<string, string>, range: string): AddressClass {
  if (ALLOWED.has(range)) return PUBLIC;
  return blocked(names.get(range) ?? range);
}

function classifyV4(address: ipaddr.IPv4): AddressClass {
  const own = ipaddr.subnetMatch(address, V4_OWN, '');
  return own ? blocked(own) : byName(V4_NAMES, address.range());
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const own = ipaddr.subnetMatch(address, V6_OWN, '');
  if (own) return blocked(own);
  const range = address.range();
  const embedding = EMBEDDING.get(range);
  if (embedding) {
    // Tunnelling prefixes are judged by the IPv4 address they carry.
    const inner = classifyV4(new ipaddr.IPv4(embedding.bytes(address.toByteArray())));
    return { allowed: inner.allowed, range: `${inner.range} (${embedding.name})` };
  }
  if (range !== 'unicast') return byName(V6_NAMES, range);
  if (address.match(IPV4_COMPATIBLE)) return blocked('IPv4-compatible');
  // Only 2000::/3 is allocated as global unicast; anything else is reserved today.
  return address.match(GLOBAL_UNICAST) ? PUBLIC : blocked('reserved');
}

/** Classify one IP address (IPv4, or IPv6 with or without brackets / zone); anything unparsable is blocked. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const v4 = parseAddress(bare, 4);
  if (v4) return classifyV4(v4);
  const v6 = parseAddress(bare, 6);
  return v6 ? classifyV6(v6) : blocked('invalid');
}

function parseAddress(text: string, family: 4): ipaddr.IPv4 | null;
function parseAddress(text: string, family: 6): ipaddr.IPv6 | null;
/** Node's isIP decides what is an address (strict dotted quads, no zone); ipaddr.js parses it. */
function parseAddress(text: string, family: 4 | 6): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (isIP(text) !== family) return null;
  try {
    if (family === 4) return ipaddr.IPv4.parse(text);
    // ipaddr.js reads `::a.b.c.d` as ::ffff:a.b.c.d (IPv4-mapped, which it is not): WHATWG URL writes it in hex.
    return ipaddr.IPv6.parse(new URL(`http://[${text}]/`).hostname.slice(1, -1));
  } catch {
    // A spelling Node accepts and the others do not: unparsable, so blocked.
    return null;
  }
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
