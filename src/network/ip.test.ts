import { describe, expect, it } from 'vitest';
import { formatAddress, formatRange, IpParseError, matches, parseAddress, parseRange, tryParseAddress } from './ip.js';

describe('parseAddress', () => {
  it.each([
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['124.56.78.91', 4, 0x7c384e5bn],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['2001:DB8:0:0:0:0:0:1', 6, 0x20010db8000000000000000000000001n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['1::', 6, 1n << 112n],
    ['::2:3:4:5:6:7:8', 6, 0x00000002000300040005000600070008n],
    ['64:ff9b::192.0.2.33', 6, 0x0064ff9b0000000000000000c0000221n],
  ])('%s', (text, family, value) => {
    expect(parseAddress(text)).toEqual({ family, value });
  });

  it('reads an IPv4-mapped IPv6 address (a dual-stack socket\'s IPv4 client) as the IPv4 address', () => {
    expect(parseAddress('::ffff:127.0.0.2')).toEqual(parseAddress('127.0.0.2'));
    expect(parseAddress('::FFFF:7f00:2')).toEqual(parseAddress('127.0.0.2'));
    expect(parseAddress('0:0:0:0:0:ffff:1.2.3.4')).toEqual({ family: 4, value: 0x01020304n });
  });

  it.each([
    '', ' ', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '01.2.3.4', '1.2.3.04', '1..3.4', '1.2.3.4 ', 'a.b.c.d', '0x7f.0.0.1',
    ':', ':::', '1:::2', '1::2::3', ':1::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::1',
    '::1.2.3', '1.2.3.4::', '::1.2.3.4:5', 'fe80::1%eth0', '[::1]', 'localhost', '1.2.3.4/32',
  ])('refuses %j', (text) => {
    expect(tryParseAddress(text)).toBeUndefined();
    expect(() => parseAddress(text)).toThrow(IpParseError);
  });
});

describe('formatAddress (RFC 5952)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['1:0:0:0:0:0:0:0', '1::'],
  ])('%s → %s', (text, canonical) => {
    expect(formatAddress(parseAddress(text))).toBe(canonical);
  });
});

describe('parseRange', () => {
  it.each([
    ['124.56.78.0/24', '124.56.78.0/24'],
    ['124.56.78.91', '124.56.78.91/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.1.2.3/32', '10.1.2.3/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
  ])('%s', (text, formatted) => {
    expect(formatRange(parseRange(text))).toBe(formatted);
  });

  it.each([
    ['10.0.0.1/8', /host bits set \(the network is 10\.0\.0\.0\/8\)/],
    ['2001:db8::1/32', /host bits set \(the network is 2001:db8::\/32\)/],
    ['10.0.0.0/33', /prefix length must be a whole number from 0 to 32/],
    ['::/129', /from 0 to 128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0.0 /8', /'10.0.0.0 ' is not an IPv4 or IPv6 address/],
    ['10.0.0/8', /not a valid CIDR range/],
    ['nonsense', /'nonsense' is not a valid IPv4 or IPv6 address or CIDR range/],
    ['', /not a valid/],
    ['/8', /not a valid CIDR range/],
  ])('refuses %j with a reason', (text, message) => {
    expect(() => parseRange(text)).toThrow(IpParseError);
    expect(() => parseRange(text)).toThrow(message);
  });
});

describe('matches', () => {
  it.each([
    ['124.56.78.91', '124.56.78.0/24', true],
    ['124.56.79.1', '124.56.78.0/24', false],
    ['124.56.78.91', '124.56.78.91', true],
    ['124.56.78.92', '124.56.78.91/32', false],
    ['8.8.8.8', '0.0.0.0/0', true],
    ['10.255.255.255', '10.0.0.0/8', true],
    ['11.0.0.0', '10.0.0.0/8', false],
    ['::ffff:124.56.78.91', '124.56.78.0/24', true], // a dual-stack socket's IPv4 client
    ['2001:db8::5', '2001:db8::/32', true],
    ['2001:db9::5', '2001:db8::/32', false],
    ['::1', '::1', true],
    ['::2', '::1/128', false],
    ['2001:db8::1', '::/0', true],
    ['2001:db8::1', '0.0.0.0/0', false], // families do not mix
    ['::1', '127.0.0.0/8', false],
    ['127.0.0.1', '::1', false],
    ['127.0.0.1', '::ffff:127.0.0.0/104', true], // a v6 rule sees the IPv4 client as mapped
    ['127.0.0.1', '::/0', true],
    ['127.0.0.1', '2001:db8::/32', false],
  ])('%s in %s: %s', (address, rule, expected) => {
    expect(matches(address, rule)).toBe(expected);
    expect(matches(parseAddress(address), parseRange(rule))).toBe(expected);
  });

  it('throws on a bad rule or address given as text', () => {
    expect(() => matches('1.2.3.4', '1.2.3.4/40')).toThrow(IpParseError);
    expect(() => matches('1.2.3.400', '1.2.3.0/24')).toThrow(IpParseError);
  });
});
