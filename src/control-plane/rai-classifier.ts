// The `classifier` member of RaiPolicyProperties: a Lapis extension (Azure's RM spec has no such
// member) naming what grades the four harm categories instead of the built-in classifier.
//   { "type": "Deployment", "deploymentName": "llama-guard", "format": "LlamaGuard", "timeoutMs": 5000, "failureMode": "Closed" }
//   { "type": "ContentSafety", "endpoint": "https://cs.example.com", "key": "…", "timeoutMs": 5000, "failureMode": "Open" }
// The key is write-only: GET shows `hasKey` instead, and a PUT that leaves it out keeps the
// stored one while the endpoint is unchanged (a GET-edit-PUT must not lose it).

import { RAI_FAILURE_MODES, RAI_GUARD_FORMATS, type RaiClassifier } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { optionalInteger, optionalString, readObject, requiredString, type Json } from './body.js';
import { oneOf } from './rai-policies.js';

export const DEFAULT_CLASSIFIER_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 120_000;
const PATH = 'properties.classifier';

export function readRaiClassifier(raw: unknown): RaiClassifier {
  const c = readObject(raw, PATH, 'RaiPolicyClassifier', ['type', 'deploymentName', 'format', 'endpoint', 'key', 'timeoutMs', 'failureMode']);
  const type = oneOf(requiredString(c, 'type', PATH), ['Deployment', 'ContentSafety'] as const, `${PATH}.type`);
  const timeoutMs = optionalInteger(c, 'timeoutMs', PATH) ?? DEFAULT_CLASSIFIER_TIMEOUT_MS;
  if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw errors.invalidResourceProperties(`The property '${PATH}.timeoutMs' must be between 1 and ${MAX_TIMEOUT_MS}.`, `${PATH}.timeoutMs`);
  }
  const failure = optionalString(c, 'failureMode', PATH);
  const failureMode = failure === undefined ? 'Closed' : oneOf(failure, RAI_FAILURE_MODES, `${PATH}.failureMode`);
  const only = (allowed: string[]) => {
    const extra = Object.keys(c).find((k) => !['type', 'timeoutMs', 'failureMode', ...allowed].includes(k));
    if (extra) throw errors.invalidResourceProperties(`The property '${PATH}.${extra}' does not apply to a classifier of type '${type}'.`, `${PATH}.${extra}`);
  };
  if (type === 'Deployment') {
    only(['deploymentName', 'format']);
    const format = oneOf(requiredString(c, 'format', PATH), RAI_GUARD_FORMATS, `${PATH}.format`);
    return { type, deploymentName: requiredString(c, 'deploymentName', PATH), format, timeoutMs, failureMode };
  }
  only(['endpoint', 'key']);
  const endpoint = requiredString(c, 'endpoint', PATH).replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw errors.invalidResourceProperties(`The property '${PATH}.endpoint' must be an http or https URL.`, `${PATH}.endpoint`);
  }
  const key = optionalString(c, 'key', PATH);
  return { type, endpoint, ...(key === undefined ? {} : { key }), timeoutMs, failureMode };
}

/** The classifier as GET shows it: everything but the key. */
export function raiClassifierToWire(c: RaiClassifier): Json {
  if (c.type !== 'ContentSafety') return { ...c };
  const { key, ...rest } = c;
  return { ...rest, hasKey: key !== undefined };
}
