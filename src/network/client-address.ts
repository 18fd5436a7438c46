// The address of the client a request is from. The TCP peer is the truth unless it is one of
// the operator's trusted reverse proxies; only then is X-Forwarded-For read, right to left,
// skipping the trusted proxies each hop appended, and the first untrusted hop is the client.
// Anything left of that was written by the client itself and may be spoofed, so it is never read.
// (The algorithm of nginx `real_ip_recursive on` and Express `trust proxy`.)

import type { IncomingMessage } from 'node:http';
import { formatAddress, matches, parseRange, tryParseAddress, IpParseError, type IpAddress, type IpRange } from './ip.js';

/** `trustedProxies` setting: comma-separated addresses or CIDRs. Throws naming the bad entry. */
export function parseTrustedProxies(text: string | undefined): IpRange[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry, i) => {
    const trimmed = entry.trim();
    if (trimmed === '') throw new IpParseError(`trustedProxies: entry ${i + 1} is empty.`);
    try {
      return parseRange(trimmed);
    } catch (err) {
      throw new IpParseError(`trustedProxies: ${(err as Error).message}`);
    }
  });
}

/** A socket's remoteAddress: Node may add an IPv6 zone (`fe80::1%eth0`), which says nothing about who. */
function socketAddress(text: string): IpAddress | undefined {
  const zone = text.indexOf('%');
  return tryParseAddress(zone === -1 ? text : text.slice(0, zone));
}

/** One X-Forwarded-For hop. Some proxies (Azure Application Gateway) append the port. */
function forwardedAddress(text: string): IpAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return tryParseAddress(bracketed[1]!);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  return tryParseAddress(v4WithPort ? v4WithPort[1]! : text);
}

function hops(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/**
 * The client's address in canonical text (IPv4-mapped addresses as plain IPv4), or undefined
 * when it cannot be known: a unix-socket peer, or a trusted proxy that forwarded something
 * that is not an address (callers treat unknown as matching no rule).
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly IpRange[],
): string | undefined {
  if (remoteAddress === undefined) return undefined;
  let hop = socketAddress(remoteAddress);
  if (!hop) return undefined;
  const isTrusted = (a: IpAddress) => trustedProxies.some((r) => matches(a, r));
  if (trustedProxies.length > 0 && isTrusted(hop)) {
    const list = hops(forwardedFor);
    for (let i = list.length - 1; i >= 0; i--) {
      const previous = forwardedAddress(list[i]!);
      if (!previous) return undefined;
      hop = previous;
      if (!isTrusted(hop)) break;
    }
  }
  return formatAddress(hop);
}

/** clientAddress for a raw Node request, with the `trustedProxies` setting parsed once. */
export function createClientAddressResolver(trustedProxies: string | undefined): (raw: IncomingMessage) => string | undefined {
  const trusted = parseTrustedProxies(trustedProxies);
  return (raw) => clientAddress(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], trusted);
}
