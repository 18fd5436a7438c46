// IP addresses and CIDR ranges of both families, parsed strictly: a network rule that does not
// mean exactly one thing is refused with a message saying why, never guessed at.
//
// An IPv4 client on a dual-stack socket is reported by Node as `::ffff:a.b.c.d` (RFC 4291
// §2.5.5.2). Such an address is the IPv4 client itself, so it parses to family 4; and a v6 rule
// (e.g. `::ffff:0:0/96` or `::/0`) still matches it through its mapped form.

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** 32 bits (family 4) or 128 bits (family 6), most significant first. */
  value: bigint;
}

export interface IpRange {
  family: IpFamily;
  /** The network address: host bits are zero. */
  network: bigint;
  /** Prefix length: 0–32 (family 4), 0–128 (family 6). */
  prefix: number;
}

export class IpParseError extends Error {
  override readonly name = 'IpParseError';
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };
const MAPPED_PREFIX = 0xffffn << 32n;
// Decimal without leading zeros: `010` is octal to inet_aton and decimal to others.
const DECIMAL = /^(0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseGroups(text: string, embeddedV4: boolean): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (embeddedV4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseV4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEX_GROUP.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // An embedded IPv4 address may only end the text (the last 32 bits).
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const given = head.length + tail.length;
  // `::` stands for at least one zero group; without it all eight must be written.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<bigint>(8 - given).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** The address, or undefined when `text` is not exactly one IPv4 or IPv6 address. */
export function tryParseAddress(text: string): IpAddress | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = parseV6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

export function parseAddress(text: string): IpAddress {
  const address = tryParseAddress(text);
  if (!address) throw new IpParseError(`'${text}' is not a valid IPv4 or IPv6 address.`);
  return address;
}

/** `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n`; a single address is a range of one (/32, /128). */
export function parseRange(text: string): IpRange {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseV4(addressText);
  const v6 = v4 === undefined && addressText.includes(':') ? parseV6(addressText) : undefined;
  if (v4 === undefined && v6 === undefined) {
    throw new IpParseError(
      slash === -1
        ? `'${text}' is not a valid IPv4 or IPv6 address or CIDR range.`
        : `'${text}' is not a valid CIDR range: '${addressText}' is not an IPv4 or IPv6 address.`,
    );
  }
  // Ranges keep the family they were written in: `::ffff:10.0.0.0/104` is a v6 range.
  const family: IpFamily = v4 !== undefined ? 4 : 6;
  const bits = BITS[family];
  const network = (v4 ?? v6)!;
  if (slash === -1) return { family, network, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!DECIMAL.test(prefixText) || Number(prefixText) > bits) {
    throw new IpParseError(`'${text}' is not a valid CIDR range: the prefix length must be a whole number from 0 to ${bits}.`);
  }
  const prefix = Number(prefixText);
  const hostBits = BigInt(bits - prefix);
  const masked = (network >> hostBits) << hostBits;
  if (masked !== network) {
    const suggestion = formatRange({ family, network: masked, prefix });
    throw new IpParseError(`'${text}' is not a valid CIDR range: it has host bits set (the network is ${suggestion}).`);
  }
  return { family, network, prefix };
}

function inRange(value: bigint, bits: number, range: IpRange): boolean {
  const shift = BigInt(bits - range.prefix);
  return value >> shift === range.network >> shift;
}

/** Whether `address` lies in `rule` (a range or single address); strings are parsed strictly. */
export function matches(address: IpAddress | string, rule: IpRange | string): boolean {
  const a = typeof address === 'string' ? parseAddress(address) : address;
  const r = typeof rule === 'string' ? parseRange(rule) : rule;
  if (r.family === 4) return a.family === 4 && inRange(a.value, 32, r);
  // A v6 rule sees an IPv4 client as the v4-mapped address its socket would report.
  return inRange(a.family === 6 ? a.value : MAPPED_PREFIX | a.value, 128, r);
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start === -1) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function formatAddress(address: IpAddress): string {
  return address.family === 4 ? formatV4(address.value) : formatV6(address.value);
}

export function formatRange(range: IpRange): string {
  return `${formatAddress({ family: range.family, value: range.network })}/${range.prefix}`;
}
