import { describe, expect, it } from 'vitest';
import { classifyAddress, parseHostLiteral, parseIPv4, parseIPv6 } from '../../../drivers/net/address-guard.js';

// [address, allowed, range]
const TABLE: Array<[string, boolean, string]> = [
  ['0.0.0.0', false, 'this network'],
  ['0.255.1.2', false, 'this network'],
  ['127.0.0.1', false, 'loopback'],
  ['127.255.255.254', false, 'loopback'],
  ['10.0.0.1', false, 'private'],
  ['10.255.255.255', false, 'private'],
  ['172.16.0.1', false, 'private'],
  ['172.31.255.255', false, 'private'],
  ['192.168.1.1', false, 'private'],
  ['100.64.0.1', false, 'CGNAT'],
  ['100.127.255.255', false, 'CGNAT'],
  ['169.254.0.1', false, 'link-local'],
  ['169.254.169.254', false, 'cloud metadata'],
  ['192.0.0.8', false, 'IETF protocol assignment'],
  ['192.0.2.1', false, 'documentation'],
  ['198.18.0.1', false, 'benchmarking'],
  ['198.19.255.255', false, 'benchmarking'],
  ['198.51.100.7', false, 'documentation'],
  ['203.0.113.9', false, 'documentation'],
  ['224.0.0.1', false, 'multicast'],
  ['239.255.255.250', false, 'multicast'],
  ['240.0.0.1', false, 'reserved'],
  ['255.255.255.254', false, 'reserved'],
  ['255.255.255.255', false, 'broadcast'],
  ['::', false, 'unspecified'],
  ['[::]', false, 'unspecified'],
  ['::1', false, 'loopback'],
  ['[::1]', false, 'loopback'],
  ['0:0:0:0:0:0:0:1', false, 'loopback'],
  ['fc00::1', false, 'unique-local'],
  ['fd12:3456::1', false, 'unique-local'],
  ['fe80::1', false, 'link-local'],
  ['fe80::1%eth0', false, 'link-local'],
  ['febf::1', false, 'link-local'],
  ['fec0::1', false, 'site-local'],
  ['ff02::1', false, 'multicast'],
  ['::ffff:127.0.0.1', false, 'loopback (IPv4-mapped)'],
  ['::ffff:7f00:1', false, 'loopback (IPv4-mapped)'],
  ['::ffff:10.1.2.3', false, 'private (IPv4-mapped)'],
  ['::ffff:169.254.169.254', false, 'cloud metadata (IPv4-mapped)'],
  ['::ffff:8.8.8.8', true, 'public (IPv4-mapped)'],
  ['64:ff9b::7f00:1', false, 'loopback (NAT64)'],
  ['64:ff9b::10.0.0.1', false, 'private (NAT64)'],
  ['64:ff9b::808:808', true, 'public (NAT64)'],
  ['64:ff9b:1::808:808', false, 'NAT64 local-use'],
  ['::127.0.0.1', false, 'IPv4-compatible'],
  ['::808:808', false, 'IPv4-compatible'],
  ['::ffff:0:808:808', false, 'IPv4-translated'],
  ['100::1', false, 'discard-only'],
  ['2001::1', false, 'Teredo'],
  ['2001:db8::1', false, 'documentation'],
  ['2001:db8:ffff::1', false, 'documentation'],
  ['3fff::1', false, 'documentation'],
  ['2002:7f00:1::1', false, 'loopback (6to4)'],
  ['2002:a00:1::', false, 'private (6to4)'],
  ['2002:808:808::1', true, 'public (6to4)'],
  ['1::', false, 'reserved'],
  ['4000::1', false, 'reserved'],
  ['8.8.8.8', true, 'public'],
  ['1.1.1.1', true, 'public'],
  ['93.184.216.34', true, 'public'],
  ['172.15.255.255', true, 'public'],
  ['172.32.0.1', true, 'public'],
  ['100.63.255.255', true, 'public'],
  ['100.128.0.1', true, 'public'],
  ['169.253.255.255', true, 'public'],
  ['223.255.255.255', true, 'public'],
  ['2606:4700::1111', true, 'public'],
  ['2001:4860:4860::8888', true, 'public'],
  ['2a00:1450:4001:81c::200e', true, 'public'],
  ['not-an-ip', false, 'invalid'],
  ['', false, 'invalid'],
  ['127.1', false, 'invalid'],
  ['0177.0.0.1', false, 'invalid'],
  ['1.2.3.4.5', false, 'invalid'],
  ['::ffff::1', false, 'invalid'],
  // Found by ipaddr.js: the rest of 2001::/23 (IETF protocol assignments) was allowed, 5f00::/16 is SRv6.
  ['2001:100::1', false, 'IETF protocol assignment'],
  ['2001:1::1', false, 'IETF protocol assignment'],
  ['5f00::1', false, 'segment routing'],
  // ipaddr.js alone reads ::a.b.c.d as IPv4-mapped; it is IPv4-compatible (::/96).
  ['::8.8.8.8', false, 'IPv4-compatible'],
  ['::10.0.0.1', false, 'IPv4-compatible'],
  // Ranges ipaddr.js names that are globally reachable stay allowed.
  ['192.31.196.1', true, 'public'],
  ['192.52.193.1', true, 'public'],
  ['2001:3::1', true, 'public'],
  ['2001:4:112::1', true, 'public'],
  ['2001:30::1', true, 'public'],
  // aos's own names inside a tunnel.
  ['64:ff9b::a9fe:a9fe', false, 'cloud metadata (NAT64)'],
  ['::ffff:192.0.2.1', false, 'documentation (IPv4-mapped)'],
  ['2002:c0a8:101::1', false, 'private (6to4)'],
];

describe('classifyAddress', () => {
  it('has a row for every range (at least 40)', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('%s -> allowed=%s (%s)', (ip, allowed, range) => {
    expect(classifyAddress(ip)).toEqual({ allowed, range });
  });
});

describe('parsers', () => {
  it('parses dotted quads strictly', () => {
    expect(parseIPv4('192.168.0.1')).toEqual([192, 168, 0, 1]);
    expect(parseIPv4('256.0.0.1')).toBeNull();
    expect(parseIPv4('01.2.3.4')).toBeNull();
    expect(parseIPv4('1.2.3')).toBeNull();
  });

  it('expands :: and embedded IPv4', () => {
    expect(parseIPv6('::')).toEqual(new Array<number>(16).fill(0));
    expect(parseIPv6('1::2')).toEqual([0, 1, ...new Array<number>(12).fill(0), 0, 2]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([...new Array<number>(10).fill(0), 255, 255, 1, 2, 3, 4]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('12345::')).toBeNull();
  });
});

describe('parseHostLiteral', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['[::1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:127.0.0.1'],
    [new URL('http://[::ffff:127.0.0.1]/').hostname, '::ffff:7f00:1'],
    ['::1', '::1'],
  ])('%s is the address %s, which is blocked', (host, ip) => {
    expect(parseHostLiteral(host)).toBe(ip);
    expect(classifyAddress(ip).allowed).toBe(false);
  });

  it('returns null for DNS names', () => {
    expect(parseHostLiteral('example.com')).toBeNull();
    expect(parseHostLiteral('localhost')).toBeNull();
    expect(parseHostLiteral('1.2.3.4.example')).toBeNull();
  });
});
