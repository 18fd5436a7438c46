// Reading a deployment PUT body (RM 2025-06-01 DeploymentProperties) and deciding which
// backend serves it. The Lapis extension `properties.lapis.backend` names the backend; without
// it, a model of format "GGUF" whose `source` is a file path is served by the embedded llama
// backend (so ARM SDKs, which only send the fields they know, can create deployments too).

import { isAbsolute } from 'node:path';
import type { BackendSpec, DeploymentModel, Sku } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { optionalInteger, optionalString, readObject, requiredString, type Json } from './body.js';

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
  const capacity = optionalInteger(sku, 'capacity', 'sku') ?? 1;
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

function readBackend(lapis: unknown, model: DeploymentModel): BackendSpec {
  if (lapis !== undefined) {
    const ext = readObject(lapis, 'properties.lapis', 'LapisDeploymentProperties', ['backend']);
    const backend = readObject(ext.backend, 'properties.lapis.backend', 'LapisBackend', ['kind', 'modelPath']);
    const kind = requiredString(backend, 'kind', 'properties.lapis.backend');
    if (kind !== 'llama') {
      throw errors.invalidResourceProperties(`The backend kind '${kind}' is not supported. Supported kinds: llama.`, 'properties.lapis.backend.kind');
    }
    return { kind, modelPath: checkModelPath(requiredString(backend, 'modelPath', 'properties.lapis.backend'), 'properties.lapis.backend.modelPath') };
  }
  if (model.format.toUpperCase() === 'GGUF' && model.source) {
    return { kind: 'llama', modelPath: checkModelPath(model.source, 'properties.model.source') };
  }
  throw errors.invalidResourceProperties(
    `No backend serves model '${model.name}' (format '${model.format}'). Give properties.lapis.backend ({"kind":"llama","modelPath":"/abs/model.gguf"}), or a model of format 'GGUF' whose 'source' is the GGUF file's absolute path.`,
    'properties.lapis.backend',
  );
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
  const { lapis: _ext, ...rest } = props;
  return { sku, properties: { ...rest, model }, backend };
}
