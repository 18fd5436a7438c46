// Reading a deployment PUT body (RM 2025-06-01 DeploymentProperties) and deciding which
// backend serves it. The Lapis extension `properties.lapis.backend` names the backend; without
// it, a model of format "GGUF" whose `source` is a file path is served by the embedded llama
// backend (so ARM SDKs, which only send the fields they know, can create deployments too).

import { isAbsolute } from 'node:path';
import { BACKEND_SECRET_FIELDS, type BackendSpec, type DeploymentModel, type SimulatorFaults, type Sku } from '../core/index.js';
import type { RouterBackendSpec, RouterMode } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { optionalInteger, optionalString, readObject, requiredString, type Json } from './body.js';
import { keepPoolSecrets, poolToWire, readPool } from './deployment-pool.js';

export const DEPLOYMENT_SKUS = [
  'Standard',
  'GlobalStandard',
  'DataZoneStandard',
  'ProvisionedManaged',
  'GlobalProvisionedManaged',
  'DataZoneProvisionedManaged',
  'GlobalBatch',
  'DataZoneBatch',
  'DeveloperTier',
];

const MEMBERS = ['sku', 'properties'];
const PROPERTIES = [
  'model', 'raiPolicyName', 'versionUpgradeOption', 'spilloverDeploymentName', 'parentDeploymentName',
  'scaleSettings', 'capacitySettings', 'currentCapacity', 'lapis',
];
const VERSION_UPGRADE = ['OnceNewDefaultVersionAvailable', 'OnceCurrentVersionExpired', 'NoAutoUpgrade'];

export interface DeploymentBody {
  sku: Sku;
  properties: Json & { model: DeploymentModel };
  backend: BackendSpec;
}

function readSku(raw: unknown): Sku {
  if (raw === undefined) throw errors.invalidResourceProperties("The property 'sku' is required.", 'sku');
  const sku = readObject(raw, 'sku', 'Sku', ['name', 'tier', 'size', 'family', 'capacity']);
  const name = requiredString(sku, 'name', 'sku');
  const canonical = DEPLOYMENT_SKUS.find((s) => s.toLowerCase() === name.toLowerCase());
  if (!canonical) {
    throw errors.invalidResourceProperties(`The SKU '${name}' is not supported. Supported SKUs: ${DEPLOYMENT_SKUS.join(', ')}.`, 'sku.name');
  }
  // Without a capacity a deployment has no rate limit and uses no quota (Lapis's laptop default;
  // Azure always has one). With one, Standard SKUs get capacity × 1,000 TPM, Provisioned PTUs.
  const capacity = optionalInteger(sku, 'capacity', 'sku');
  if (capacity === undefined) return { name: canonical };
  if (capacity < 1) throw errors.invalidResourceProperties(`The capacity ${capacity} is invalid; it must be at least 1.`, 'sku.capacity');
  return { name: canonical, capacity };
}

function readModel(raw: unknown): DeploymentModel {
  if (raw === undefined) throw errors.invalidResourceProperties("The property 'properties.model' is required.", 'properties.model');
  const m = readObject(raw, 'properties.model', 'DeploymentModel', ['format', 'name', 'version', 'source', 'sourceAccount', 'publisher']);
  const model: DeploymentModel = {
    format: requiredString(m, 'format', 'properties.model'),
    name: requiredString(m, 'name', 'properties.model'),
  };
  for (const key of ['version', 'source', 'publisher'] as const) {
    const v = optionalString(m, key, 'properties.model');
    if (v !== undefined) model[key] = v;
  }
  return model;
}

const BACKEND_MEMBERS: Record<BackendSpec['kind'], string[]> = {
  llama: ['kind', 'modelPath', 'contextSize', 'parallel'],
  'openai-compatible': ['kind', 'baseUrl', 'model', 'apiKey', 'timeoutMs', 'embeddingDimensions'],
  'azure-openai': ['kind', 'endpoint', 'deployment', 'apiVersion', 'apiKey', 'bearerToken', 'timeoutMs', 'embeddingDimensions'],
  simulator: ['kind', 'model', 'timeToFirstTokenMs', 'tokensPerSecond', 'embeddingDimensions', 'contextSize', 'faults'],
  router: ['kind', 'deployments', 'mode'],
  pool: ['kind', 'members', 'healthCheck', 'breaker'],
};
const PATH = 'properties.lapis.backend';

function checkUrl(value: string, target: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw errors.invalidResourceProperties(`'${value}' is not a URL.`, target);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.invalidResourceProperties(`'${value}' must be an http or https URL.`, target);
  return value.replace(/\/+$/, '');
}

function positive(obj: Json, key: string): number | undefined {
  const v = optionalInteger(obj, key, PATH);
  if (v !== undefined && v < 0) throw errors.invalidResourceProperties(`'${key}' must not be negative.`, `${PATH}.${key}`);
  return v;
}

function readFaults(raw: unknown): SimulatorFaults | undefined {
  if (raw === undefined || raw === null) return undefined;
  const f = readObject(raw, `${PATH}.faults`, 'SimulatorFaults', ['rateLimit', 'retryAfterMs', 'serverError', 'timeout', 'dropStream']);
  const faults: SimulatorFaults = {};
  for (const key of ['rateLimit', 'serverError', 'timeout', 'dropStream'] as const) {
    const v = f[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || v < 0 || v > 1) throw errors.invalidResourceProperties(`'${key}' is a rate between 0 and 1.`, `${PATH}.faults.${key}`);
    faults[key] = v;
  }
  const retry = optionalInteger(f, 'retryAfterMs', `${PATH}.faults`);
  if (retry !== undefined) faults.retryAfterMs = retry;
  return faults;
}

const ROUTER_MODES: RouterMode[] = ['balanced', 'quality', 'cost'];
/** How many deployments a router may name (a choice of one is no choice; 16 keeps a price ladder readable). */
export const ROUTER_DEPLOYMENTS = { min: 2, max: 16 };

/** A router's list and mode. Whether the names exist (and are not routers) is checked against the account at PUT. */
function readRouter(b: Json): RouterBackendSpec {
  const at = `${PATH}.deployments`;
  const list = b.deployments;
  if (list === undefined || list === null) throw errors.invalidResourceProperties(`The property '${at}' is required.`, at);
  if (!Array.isArray(list)) throw errors.invalidRequestContent(`Expected an array of deployment names at path '${at}'.`);
  const { min, max } = ROUTER_DEPLOYMENTS;
  if (list.length < min || list.length > max) {
    throw errors.invalidResourceProperties(`A router names ${min} to ${max} deployments; '${at}' has ${list.length}.`, at);
  }
  const seen = new Set<string>();
  const deployments = list.map((name: unknown, i) => {
    if (typeof name !== 'string' || name === '') throw errors.invalidResourceProperties(`'${at}[${i}]' must be a deployment name.`, `${at}[${i}]`);
    // Deployment names are case-insensitive, so 'A' and 'a' are the same deployment.
    if (seen.has(name.toLowerCase())) throw errors.invalidResourceProperties(`The deployment '${name}' is named twice in '${at}'.`, `${at}[${i}]`);
    seen.add(name.toLowerCase());
    return name;
  });
  const mode = optionalString(b, 'mode', PATH);
  if (mode !== undefined && !(ROUTER_MODES as string[]).includes(mode)) {
    throw errors.invalidResourceProperties(`The router mode '${mode}' is invalid. Valid values: ${ROUTER_MODES.join(', ')}.`, `${PATH}.mode`);
  }
  return compact({ kind: 'router' as const, deployments, mode: mode as RouterMode | undefined });
}

/** Drops undefined members, so stored specs compare equal when they mean the same. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function readLapisBackend(raw: unknown): BackendSpec {
  const probe = readObject(raw, PATH, 'LapisBackend', ['kind', ...new Set(Object.values(BACKEND_MEMBERS).flat())]);
  const kind = requiredString(probe, 'kind', PATH) as BackendSpec['kind'];
  const members = BACKEND_MEMBERS[kind];
  if (!members) {
    throw errors.invalidResourceProperties(`The backend kind '${kind}' is not supported. Supported kinds: ${Object.keys(BACKEND_MEMBERS).join(', ')}.`, `${PATH}.kind`);
  }
  const b = readObject(raw, PATH, `LapisBackend(${kind})`, members);
  switch (kind) {
    case 'llama':
      return compact({ kind, modelPath: checkModelPath(requiredString(b, 'modelPath', PATH), `${PATH}.modelPath`), contextSize: positive(b, 'contextSize'), parallel: positive(b, 'parallel') });
    case 'openai-compatible':
      return compact({
        kind, baseUrl: checkUrl(requiredString(b, 'baseUrl', PATH), `${PATH}.baseUrl`), model: requiredString(b, 'model', PATH),
        apiKey: optionalString(b, 'apiKey', PATH), timeoutMs: positive(b, 'timeoutMs'), embeddingDimensions: positive(b, 'embeddingDimensions'),
      });
    case 'azure-openai':
      return compact({
        kind, endpoint: checkUrl(requiredString(b, 'endpoint', PATH), `${PATH}.endpoint`), deployment: requiredString(b, 'deployment', PATH),
        apiVersion: requiredString(b, 'apiVersion', PATH), apiKey: optionalString(b, 'apiKey', PATH), bearerToken: optionalString(b, 'bearerToken', PATH),
        timeoutMs: positive(b, 'timeoutMs'), embeddingDimensions: positive(b, 'embeddingDimensions'),
      });
    case 'simulator':
      return compact({
        kind, model: optionalString(b, 'model', PATH), timeToFirstTokenMs: positive(b, 'timeToFirstTokenMs'), tokensPerSecond: positive(b, 'tokensPerSecond'),
        embeddingDimensions: positive(b, 'embeddingDimensions'), contextSize: positive(b, 'contextSize'), faults: readFaults(b.faults),
      });
    case 'router':
      return readRouter(b);
    case 'pool':
      return readPool(b, PATH, readLapisBackend);
  }
}

function readBackend(lapis: unknown, model: DeploymentModel): BackendSpec {
  if (lapis !== undefined) {
    const ext = readObject(lapis, 'properties.lapis', 'LapisDeploymentProperties', ['backend']);
    return readLapisBackend(ext.backend);
  }
  if (model.format.toUpperCase() === 'GGUF' && model.source) {
    return { kind: 'llama', modelPath: checkModelPath(model.source, 'properties.model.source') };
  }
  throw errors.invalidResourceProperties(
    `No backend serves model '${model.name}' (format '${model.format}'). Give properties.lapis.backend (e.g. {"kind":"llama","modelPath":"/abs/model.gguf"} or {"kind":"openai-compatible","baseUrl":"http://vllm:8000/v1","model":"…"}), or a model of format 'GGUF' whose 'source' is the GGUF file's absolute path.`,
    PATH,
  );
}

/**
 * Credentials are never returned by GET, so a read-modify-write PUT does not carry them: a PUT
 * that leaves them out keeps the stored ones, when the upstream is the same.
 */
export function keepSecrets(next: BackendSpec, previous: BackendSpec | undefined): BackendSpec {
  if (next.kind === 'pool') return keepPoolSecrets(next, previous, keepSecrets);
  if (!previous || previous.kind !== next.kind) return next;
  const same =
    (next.kind === 'openai-compatible' && previous.kind === 'openai-compatible' && next.baseUrl === previous.baseUrl) ||
    (next.kind === 'azure-openai' && previous.kind === 'azure-openai' && next.endpoint === previous.endpoint);
  if (!same) return next;
  const merged: Record<string, unknown> = { ...next };
  for (const field of BACKEND_SECRET_FIELDS) {
    if (merged[field] === undefined && (previous as unknown as Record<string, unknown>)[field] !== undefined) {
      merged[field] = (previous as unknown as Record<string, unknown>)[field];
    }
  }
  return merged as unknown as BackendSpec;
}

/** The backend as answers show it: secrets left out, their presence said. */
export function backendToWire(backend: BackendSpec): Record<string, unknown> {
  if (backend.kind === 'pool') return poolToWire(backend, backendToWire);
  const shown: Record<string, unknown> = { ...backend };
  for (const field of BACKEND_SECRET_FIELDS) {
    if (shown[field] !== undefined) {
      delete shown[field];
      shown[`${field}Set`] = true;
    }
  }
  return shown;
}

function checkModelPath(path: string, target: string): string {
  if (!isAbsolute(path)) throw errors.invalidResourceProperties(`The model path '${path}' must be absolute.`, target);
  return path;
}

export function readDeploymentBody(raw: unknown): DeploymentBody {
  const body = readObject(raw ?? {}, '', 'Deployment', MEMBERS);
  const sku = readSku(body.sku);
  const props = readObject(body.properties ?? {}, 'properties', 'DeploymentProperties', PROPERTIES);
  const model = readModel(props.model);
  const upgrade = optionalString(props, 'versionUpgradeOption', 'properties');
  if (upgrade !== undefined && !VERSION_UPGRADE.includes(upgrade)) {
    throw errors.invalidResourceProperties(`The versionUpgradeOption '${upgrade}' is invalid. Valid values: ${VERSION_UPGRADE.join(', ')}.`, 'properties.versionUpgradeOption');
  }
  for (const key of ['raiPolicyName', 'spilloverDeploymentName', 'parentDeploymentName'] as const) optionalString(props, key, 'properties');
  const backend = readBackend(props.lapis, model);
  // A router has no capacity of its own: each request is admitted on the deployment it picks.
  if (backend.kind === 'router' && sku.capacity !== undefined) {
    throw errors.invalidResourceProperties('A router deployment has no capacity of its own (requests count against the deployment each is routed to); leave out sku.capacity.', 'sku.capacity');
  }
  const { lapis: _ext, ...rest } = props;
  return { sku, properties: { ...rest, model }, backend };
}
