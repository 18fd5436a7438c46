import { describe, expect, it } from 'vitest';
import { evaluateNetworkAccess, validateNetworkProperties, type NetworkDecision } from './acl.js';

const ALLOW: NetworkDecision = { allowed: true };
const FIREWALL: NetworkDecision = { allowed: false, reason: 'ipNotAllowed' };
const PRIVATE_ONLY: NetworkDecision = { allowed: false, reason: 'publicNetworkAccessDisabled' };

const deny = (...values: string[]) => ({ networkAcls: { defaultAction: 'Deny', ipRules: values.map((value) => ({ value })) } });

describe('evaluateNetworkAccess', () => {
  it.each<[string, Record<string, unknown>, string | undefined, boolean, NetworkDecision]>([
    ['no network properties', {}, '203.0.113.7', false, ALLOW],
    ['publicNetworkAccess Enabled, no ACLs', { publicNetworkAccess: 'Enabled' }, '203.0.113.7', false, ALLOW],
    ['defaultAction Allow', { networkAcls: { defaultAction: 'Allow', ipRules: [{ value: '10.0.0.0/8' }] } }, '203.0.113.7', false, ALLOW],
    ['networkAcls without defaultAction', { networkAcls: { ipRules: [] } }, '203.0.113.7', false, ALLOW],
    ['networkAcls null', { networkAcls: null }, '203.0.113.7', false, ALLOW],
    // defaultAction Deny: only ipRules let public traffic in.
    ['Deny, no rules', deny(), '203.0.113.7', false, FIREWALL],
    ['Deny, address in a CIDR rule', deny('198.51.100.0/24', '203.0.113.0/24'), '203.0.113.7', false, ALLOW],
    ['Deny, address equal to a single-address rule', deny('203.0.113.7'), '203.0.113.7', false, ALLOW],
    ['Deny, address outside the rules', deny('198.51.100.0/24'), '203.0.113.7', false, FIREWALL],
    ['Deny, IPv6 client in an IPv6 rule', deny('2001:db8::/32'), '2001:db8::7', false, ALLOW],
    ['Deny, mapped IPv4 client', deny('203.0.113.0/24'), '::ffff:203.0.113.7', false, ALLOW],
    ['Deny, unknown client address', deny('0.0.0.0/0'), undefined, false, FIREWALL],
    ['Deny, lower-case enum', { networkAcls: { defaultAction: 'deny', ipRules: [] } }, '203.0.113.7', false, FIREWALL],
    ['Deny, only virtualNetworkRules (cannot be evaluated: allow nothing)', { networkAcls: { defaultAction: 'Deny', virtualNetworkRules: [{ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a' }] } }, '203.0.113.7', false, FIREWALL],
    ['Deny, private listener bypasses the firewall', deny(), '203.0.113.7', true, ALLOW],
    ['Deny, bypass AzureServices lets nobody extra in', { networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } }, '203.0.113.7', false, FIREWALL],
    // publicNetworkAccess Disabled: only the private listener.
    ['public access off, public listener', { publicNetworkAccess: 'Disabled' }, '203.0.113.7', false, PRIVATE_ONLY],
    ['public access off, address in ipRules does not help', { publicNetworkAccess: 'Disabled', ...deny('203.0.113.0/24') }, '203.0.113.7', false, PRIVATE_ONLY],
    ['public access off, private listener', { publicNetworkAccess: 'Disabled' }, undefined, true, ALLOW],
    ['public access off with Allow ACLs, private listener', { publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Allow' } }, '10.0.0.1', true, ALLOW],
    // Stored values saved before validation fail closed.
    ['unknown defaultAction', { networkAcls: { defaultAction: 'Maybe' } }, '203.0.113.7', false, FIREWALL],
    ['unknown publicNetworkAccess', { publicNetworkAccess: 'SecuredByPerimeter' }, '203.0.113.7', false, PRIVATE_ONLY],
    ['unparseable rule matches nothing', deny('203.0.113.7/24', 'garbage'), '203.0.113.7', false, FIREWALL],
    ['rule of the wrong shape', { networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.7', { value: 5 }] } }, '203.0.113.7', false, FIREWALL],
  ])('%s', (_name, properties, clientAddress, viaPrivateListener, expected) => {
    expect(evaluateNetworkAccess({ properties, clientAddress, viaPrivateListener })).toEqual(expected);
  });

  it('gives the same answer when a rule is seen again (parsed rules are kept)', () => {
    const properties = deny('192.0.2.0/24');
    for (let i = 0; i < 3; i++) {
      expect(evaluateNetworkAccess({ properties, clientAddress: '192.0.2.1', viaPrivateListener: false })).toEqual(ALLOW);
      expect(evaluateNetworkAccess({ properties, clientAddress: '192.0.3.1', viaPrivateListener: false })).toEqual(FIREWALL);
    }
  });
});

describe('validateNetworkProperties', () => {
  it.each<[string, Record<string, unknown>]>([
    ['nothing', {}],
    ['other properties only', { customSubDomainName: 'x', disableLocalAuth: true }],
    ['the RM example', { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [{ value: '124.56.78.0/24' }], virtualNetworkRules: [{ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/subnet1', ignoreMissingVnetServiceEndpoint: false }] } }],
    ['nulls', { publicNetworkAccess: null, networkAcls: null }],
    ['null lists', { networkAcls: { defaultAction: 'Allow', ipRules: null, virtualNetworkRules: null } }],
    ['enum case as ARM accepts it', { publicNetworkAccess: 'disabled', networkAcls: { defaultAction: 'DENY', bypass: 'none' } }],
    ['single addresses, IPv6 and private ranges', { networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '124.56.78.91' }, { value: '10.0.0.0/8' }, { value: '2001:db8::/32' }] } }],
  ])('accepts %s', (_name, properties) => {
    expect(validateNetworkProperties(properties)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['bad publicNetworkAccess', { publicNetworkAccess: 'Off' }, /^The value "Off" of 'properties\.publicNetworkAccess' is not valid\. Allowed values: Enabled, Disabled\.$/],
    ['non-string publicNetworkAccess', { publicNetworkAccess: false }, /The value false of 'properties\.publicNetworkAccess'/],
    ['networkAcls not an object', { networkAcls: 'Deny' }, /'properties\.networkAcls' must be an object/],
    ['networkAcls an array', { networkAcls: [] }, /'properties\.networkAcls' must be an object/],
    ['bad defaultAction', { networkAcls: { defaultAction: 'Block' } }, /'properties\.networkAcls\.defaultAction' is not valid\. Allowed values: Allow, Deny/],
    ['bad bypass', { networkAcls: { bypass: 'Everyone' } }, /'properties\.networkAcls\.bypass' is not valid\. Allowed values: None, AzureServices/],
    ['unknown member', { networkAcls: { defaultAction: 'Deny', ipRule: [] } }, /'properties\.networkAcls\.ipRule' is not a known member/],
    ['ipRules not an array', { networkAcls: { ipRules: { value: '1.2.3.4' } } }, /'properties\.networkAcls\.ipRules' must be an array/],
    ['ipRule not an object', { networkAcls: { ipRules: ['1.2.3.4'] } }, /'properties\.networkAcls\.ipRules\[0\]' must be an object/],
    ['ipRule without value', { networkAcls: { ipRules: [{ value: '1.2.3.4' }, {}] } }, /'properties\.networkAcls\.ipRules\[1\]\.value' is required/],
    ['ipRule with an extra member', { networkAcls: { ipRules: [{ value: '1.2.3.4', action: 'Allow' }] } }, /'properties\.networkAcls\.ipRules\[0\]\.action' is not a known member/],
    ['ipRule with host bits', { networkAcls: { ipRules: [{ value: '1.2.3.4' }, { value: '10.0.0.1/8' }] } }, /'properties\.networkAcls\.ipRules\[1\]\.value': '10\.0\.0\.1\/8' is not a valid CIDR range: it has host bits set \(the network is 10\.0\.0\.0\/8\)/],
    ['ipRule not an address', { networkAcls: { ipRules: [{ value: 'example.com' }] } }, /ipRules\[0\]\.value': 'example\.com' is not a valid/],
    ['ipRule prefix too long', { networkAcls: { ipRules: [{ value: '1.2.3.0/33' }] } }, /ipRules\[0\]\.value'.*from 0 to 32/],
    ['vnet rule without id', { networkAcls: { virtualNetworkRules: [{}] } }, /'properties\.networkAcls\.virtualNetworkRules\[0\]\.id' is required/],
    ['vnet rule with a bad flag', { networkAcls: { virtualNetworkRules: [{ id: '/x', ignoreMissingVnetServiceEndpoint: 'yes' }] } }, /virtualNetworkRules\[0\]\.ignoreMissingVnetServiceEndpoint' must be a boolean/],
  ])('refuses %s, naming the field', (_name, properties, message) => {
    expect(validateNetworkProperties(properties)).toMatch(message);
  });
});
