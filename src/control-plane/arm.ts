// ARM conventions shared by the control-plane resources: ids, api-versions, name rules.

import { controlPlaneErrors as errors } from '../errors/index.js';
import type { AccountRef } from '../core/index.js';

export const PROVIDER = 'Microsoft.CognitiveServices';
export const ACCOUNT_TYPE = `${PROVIDER}/accounts`;
export const DEPLOYMENT_TYPE = `${PROVIDER}/accounts/deployments`;

/** Versions of the Microsoft.CognitiveServices RM API whose account and deployment shapes we serve. */
export const ARM_API_VERSIONS = [
  '2023-05-01',
  '2024-10-01',
  '2025-04-01-preview',
  '2025-06-01',
  '2025-07-01-preview',
  '2025-09-01',
] as const;

/** Versions of the Microsoft.Authorization RM API (role assignments and definitions) we serve. */
export const ROLE_API_VERSIONS = ['2020-04-01-preview', '2022-01-01-preview', '2022-04-01', '2022-05-01-preview'] as const;

/** Each provider has its own api-versions: Microsoft.Authorization routes take ROLE_API_VERSIONS. */
export function apiVersionsFor(url: string): readonly string[] {
  return /\/providers\/Microsoft\.Authorization\//i.test(url.split('?')[0]!) ? ROLE_API_VERSIONS : ARM_API_VERSIONS;
}

export function checkApiVersion(value: unknown, supported: readonly string[] = ARM_API_VERSIONS): void {
  if (value === undefined || value === '') throw errors.missingApiVersion();
  if (typeof value !== 'string' || !supported.includes(value)) {
    throw errors.invalidApiVersion(String(value), supported);
  }
}

export function accountId(ref: AccountRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${ACCOUNT_TYPE}/${ref.name}`;
}

export function deploymentId(ref: AccountRef, name: string): string {
  return `${accountId(ref)}/deployments/${name}`;
}

// Name rules from the RM schema (shared/specs/cognitiveservices-arm-template-schema-2025-06-01.json).
const ACCOUNT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}$/;
const DEPLOYMENT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const SUBDOMAIN = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$/;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/u;

export function checkAccountName(name: string): void {
  if (!ACCOUNT_NAME.test(name)) {
    throw errors.invalidResourceName(
      name,
      'Account names are 2 to 64 characters: letters, digits, underscores, periods and hyphens, starting with a letter or digit.',
    );
  }
}

export function checkDeploymentName(name: string): void {
  if (!DEPLOYMENT_NAME.test(name)) {
    throw errors.invalidResourceName(
      name,
      'Deployment names are 1 to 64 characters: letters, digits, underscores, periods and hyphens, starting with a letter or digit.',
    );
  }
}

export function checkResourceGroupName(name: string): void {
  if (!RESOURCE_GROUP.test(name) || name.endsWith('.')) {
    throw errors.invalidResourceName(
      name,
      'Resource group names are 1 to 90 characters: letters, digits, underscores, parentheses, hyphens and periods, not ending in a period.',
    );
  }
}

export function checkSubdomain(subdomain: string): void {
  if (!SUBDOMAIN.test(subdomain)) {
    throw errors.invalidResourceProperties(
      `The custom subdomain name '${subdomain}' is invalid. It must be 1 to 64 letters, digits and hyphens, starting and ending with a letter or digit.`,
      'properties.customSubDomainName',
    );
  }
}
