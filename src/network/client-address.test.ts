import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, createClientAddressResolver, parseTrustedProxies } from './client-address.js';
import { IpParseError } from './ip.js';

const proxies = parseTrustedProxies('10.0.0.1, 10.1.0.0/16, fd00::/8');

describe('clientAddress', () => {
  it.each<[string, string | undefined, string | string[] | undefined, string | undefined]>([
    // No trusted proxy in the way: the socket's peer, whatever the header says.
    ['direct client, no header', '203.0.113.7', undefined, '203.0.113.7'],
    ['direct client spoofing X-Forwarded-For', '203.0.113.7', '1.2.3.4', '203.0.113.7'],
    ['dual-stack IPv4 peer', '::ffff:203.0.113.7', undefined, '203.0.113.7'],
    ['IPv6 peer, canonical text', '2001:DB8:0::7', undefined, '2001:db8::7'],
    ['link-local peer with a zone', 'fe80::1%eth0', undefined, 'fe80::1'],
    ['unix socket peer', undefined, '1.2.3.4', undefined],
    // Through trusted proxies: the first untrusted hop from the right.
    ['one trusted proxy', '10.0.0.1', '198.51.100.9', '198.51.100.9'],
    ['trusted proxy reached over dual stack', '::ffff:10.0.0.1', '198.51.100.9', '198.51.100.9'],
    ['two trusted proxies', '10.0.0.1', '198.51.100.9, 10.1.2.3', '198.51.100.9'],
    ['spoofed entries left of the real client are not read', '10.0.0.1', '1.1.1.1, 6.6.6.6, 198.51.100.9', '198.51.100.9'],
    ['spoofed trusted-looking entry left of the real client', '10.0.0.1', '10.1.9.9, 198.51.100.9', '198.51.100.9'],
    ['headers repeated', '10.0.0.1', ['1.1.1.1', '198.51.100.9, 10.1.2.3'], '198.51.100.9'],
    ['IPv6 hop', '10.0.0.1', '2001:db8::9', '2001:db8::9'],
    ['IPv6 trusted proxy', 'fd12::1', '198.51.100.9', '198.51.100.9'],
    ['hop with a port (Application Gateway)', '10.0.0.1', '198.51.100.9:51234', '198.51.100.9'],
    ['bracketed IPv6 hop with a port', '10.0.0.1', '[2001:db8::9]:443', '2001:db8::9'],
    ['trusted proxy without the header', '10.0.0.1', undefined, '10.0.0.1'],
    ['empty header', '10.0.0.1', ' , ', '10.0.0.1'],
    ['only trusted hops: the furthest one', '10.0.0.1', '10.1.0.5, 10.1.0.6', '10.1.0.5'],
    ['a trusted proxy that forwarded garbage: unknown', '10.0.0.1', 'unknown', undefined],
    ['garbage beyond a trusted hop: unknown', '10.0.0.1', 'bogus, 10.1.0.6', undefined],
    ['garbage left of the client is never read', '10.0.0.1', 'bogus, 198.51.100.9', '198.51.100.9'],
  ])('%s', (_name, remote, header, expected) => {
    expect(clientAddress(remote, header, proxies)).toBe(expected);
  });

  it('ignores X-Forwarded-For entirely when no proxy is trusted', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.9', [])).toBe('10.0.0.1');
    expect(clientAddress('127.0.0.1', '198.51.100.9', parseTrustedProxies(undefined))).toBe('127.0.0.1');
  });

  it('resolves raw requests with the setting parsed once', () => {
    const resolve = createClientAddressResolver('127.0.0.3');
    const raw = (remoteAddress: string, xff?: string) =>
      ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;
    expect(resolve(raw('127.0.0.3', '192.0.2.1'))).toBe('192.0.2.1');
    expect(resolve(raw('127.0.0.2', '192.0.2.1'))).toBe('127.0.0.2');
  });
});

describe('parseTrustedProxies', () => {
  it('reads addresses and CIDRs of both families', () => {
    expect(parseTrustedProxies(' 127.0.0.1 ,10.0.0.0/8,::1, fd00::/8')).toHaveLength(4);
    expect(parseTrustedProxies('')).toEqual([]);
  });

  it.each([
    ['10.0.0.0/8,,10.1.0.0/16', /trustedProxies: entry 2 is empty/],
    ['10.0.0.1/8', /trustedProxies: '10\.0\.0\.1\/8' is not a valid CIDR range: it has host bits set/],
    ['proxy.internal', /trustedProxies: 'proxy\.internal' is not a valid/],
  ])('refuses %j naming the entry', (text, message) => {
    expect(() => parseTrustedProxies(text)).toThrow(IpParseError);
    expect(() => parseTrustedProxies(text)).toThrow(message);
    expect(() => createClientAddressResolver(text)).toThrow(message);
  });
});
