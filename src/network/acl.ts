// An account's network rules (ARM AccountProperties.publicNetworkAccess and .networkAcls),
// applied as Azure applies them (https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks):
//   - publicNetworkAccess 'Disabled': only private-endpoint traffic reaches the account. In
//     Lapis the private listener (the `privateListen` setting) is the private endpoint.
//   - networkAcls.defaultAction 'Deny': public traffic passes only from an address in ipRules;
//     private-endpoint traffic is not subject to the firewall.
//   - 'Allow', or no networkAcls: everyone passes.
// virtualNetworkRules name Azure subnets, which Lapis cannot see a request come from: they are
// stored and returned but allow nothing (put the subnet's CIDR in ipRules instead). `bypass`
// (AzureServices) likewise has no Azure services to let through.
//
// Enum values are compared case-insensitively, as ARM does. Stored values that are not valid
// (saved before validation existed) fail closed: an unknown defaultAction denies, an
// unparseable ipRule matches nothing.

import { matches, parseRange, tryParseAddress, type IpRange } from './ip.js';

export type NetworkDenyReason =
  /** publicNetworkAccess is Disabled and the request did not come through the private listener. */
  | 'publicNetworkAccessDisabled'
  /** defaultAction is Deny and the client address matches no ipRule. */
  | 'ipNotAllowed';

export type NetworkDecision = { allowed: true } | { allowed: false; reason: NetworkDenyReason };

export interface NetworkAccessInput {
  /** The account's ARM properties as stored (only publicNetworkAccess and networkAcls are read). */
  properties: Readonly<Record<string, unknown>>;
  /** From clientAddress(); undefined (unknown) matches no ipRule. */
  clientAddress: string | undefined;
  viaPrivateListener: boolean;
}

const ALLOWED: NetworkDecision = { allowed: true };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : undefined);

// Rules are strings in the account; parsing one per request per rule would be the whole cost
// of the check, so parsed rules are kept (bounded: cleared when it grows past any real use).
const parsedRules = new Map<string, IpRange | null>();
function rule(value: string): IpRange | null {
  let parsed = parsedRules.get(value);
  if (parsed === undefined) {
    try {
      parsed = parseRange(value);
    } catch {
      parsed = null;
    }
    if (parsedRules.size >= 10_000) parsedRules.clear();
    parsedRules.set(value, parsed);
  }
  return parsed;
}

function inIpRules(ipRules: unknown, clientAddress: string | undefined): boolean {
  const address = clientAddress === undefined ? undefined : tryParseAddress(clientAddress);
  if (address === undefined || !Array.isArray(ipRules)) return false;
  return ipRules.some((r) => {
    const range = isObject(r) && typeof r.value === 'string' ? rule(r.value) : null;
    return range !== null && matches(address, range);
  });
}

export function evaluateNetworkAccess({ properties, clientAddress, viaPrivateListener }: NetworkAccessInput): NetworkDecision {
  if (viaPrivateListener) return ALLOWED;
  const pna = properties.publicNetworkAccess;
  if (pna !== undefined && pna !== null && lower(pna) !== 'enabled') return { allowed: false, reason: 'publicNetworkAccessDisabled' };
  const acls = properties.networkAcls;
  if (!isObject(acls) || acls.defaultAction === undefined || acls.defaultAction === null) return ALLOWED;
  if (lower(acls.defaultAction) === 'allow') return ALLOWED;
  return inIpRules(acls.ipRules, clientAddress) ? ALLOWED : { allowed: false, reason: 'ipNotAllowed' };
}

// --- Validation at PUT/PATCH time (the control plane turns the message into a 400) ---------

const ENUMS = {
  publicNetworkAccess: ['Enabled', 'Disabled'],
  defaultAction: ['Allow', 'Deny'],
  bypass: ['None', 'AzureServices'],
} as const;

function checkEnum(value: unknown, field: string, allowed: readonly string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && allowed.some((a) => a.toLowerCase() === value.toLowerCase())) return undefined;
  return `The value ${JSON.stringify(value)} of '${field}' is not valid. Allowed values: ${allowed.join(', ')}.`;
}

function unknownMember(value: Record<string, unknown>, field: string, known: readonly string[]): string | undefined {
  const extra = Object.keys(value).find((k) => !known.includes(k));
  return extra === undefined ? undefined : `'${field}.${extra}' is not a known member. Known members: ${known.join(', ')}.`;
}

/** An array of objects (null = absent), each checked by `item`; the first problem wins. */
function checkList(value: unknown, field: string, item: (entry: Record<string, unknown>, at: string) => string | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return `'${field}' must be an array.`;
  for (const [i, entry] of value.entries()) {
    const at = `${field}[${i}]`;
    const problem = isObject(entry) ? item(entry, at) : `'${at}' must be an object.`;
    if (problem) return problem;
  }
  return undefined;
}

function checkIpRule(entry: Record<string, unknown>, at: string): string | undefined {
  const extra = unknownMember(entry, at, ['value']);
  if (extra) return extra;
  if (typeof entry.value !== 'string') return `'${at}.value' is required and must be a string.`;
  try {
    parseRange(entry.value);
    return undefined;
  } catch (err) {
    return `'${at}.value': ${(err as Error).message}`;
  }
}

function checkVnetRule(entry: Record<string, unknown>, at: string): string | undefined {
  const extra = unknownMember(entry, at, ['id', 'ignoreMissingVnetServiceEndpoint', 'state']);
  if (extra) return extra;
  if (typeof entry.id !== 'string' || entry.id === '') return `'${at}.id' is required and must be a subnet resource id.`;
  const ignore = entry.ignoreMissingVnetServiceEndpoint;
  if (ignore !== undefined && ignore !== null && typeof ignore !== 'boolean') return `'${at}.ignoreMissingVnetServiceEndpoint' must be a boolean.`;
  if (entry.state !== undefined && entry.state !== null && typeof entry.state !== 'string') return `'${at}.state' must be a string.`;
  return undefined;
}

/**
 * Checks publicNetworkAccess and networkAcls of account properties (RM 2025-06-01 NetworkRuleSet).
 * Returns a message naming the bad field (e.g. `properties.networkAcls.ipRules[1].value`), or
 * undefined when they are valid or absent.
 */
export function validateNetworkProperties(properties: Readonly<Record<string, unknown>>): string | undefined {
  const pna = checkEnum(properties.publicNetworkAccess, 'properties.publicNetworkAccess', ENUMS.publicNetworkAccess);
  if (pna) return pna;
  const acls = properties.networkAcls;
  if (acls === undefined || acls === null) return undefined;
  const field = 'properties.networkAcls';
  if (!isObject(acls)) return `'${field}' must be an object.`;
  return (
    unknownMember(acls, field, ['bypass', 'defaultAction', 'ipRules', 'virtualNetworkRules']) ??
    checkEnum(acls.defaultAction, `${field}.defaultAction`, ENUMS.defaultAction) ??
    checkEnum(acls.bypass, `${field}.bypass`, ENUMS.bypass) ??
    checkList(acls.ipRules, `${field}.ipRules`, checkIpRule) ??
    checkList(acls.virtualNetworkRules, `${field}.virtualNetworkRules`, checkVnetRule)
  );
}
