// Control-plane resources as Lapis stores them. The ARM wire shapes are built from these by
// the control plane; storage persists them as they are.

export interface Sku {
  name: string;
  capacity?: number;
  tier?: string;
}

/** Where an account lives in the ARM hierarchy. */
export interface AccountRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting' | 'Accepted';

export interface Account extends AccountRef {
  /** Internal id (uuid); never changes, even when the account is recreated under the same name. */
  id: string;
  location: string;
  kind: string;
  sku: Sku;
  tags: Record<string, string>;
  identity?: Record<string, unknown>;
  /** Writable ARM properties as the caller sent them (customSubDomainName, networkAcls, …). */
  properties: Record<string, unknown>;
  provisioningState: ProvisioningState;
  createdAt: Date;
  updatedAt: Date;
}

export type KeyName = 'key1' | 'key2';

/** Which engine serves a deployment. The Lapis extension of the ARM deployment body. */
export type BackendSpec = LlamaBackendSpec;

export interface LlamaBackendSpec {
  kind: 'llama';
  /** Absolute path of a GGUF file on this machine. */
  modelPath: string;
}

export interface DeploymentModel {
  format: string;
  name: string;
  version?: string;
  source?: string;
  publisher?: string;
}

export interface ProvisioningError {
  code: string;
  message: string;
}

export interface Deployment {
  id: string;
  accountId: string;
  name: string;
  sku: Sku;
  /** Writable ARM properties (model, raiPolicyName, versionUpgradeOption, …) as sent. */
  properties: Record<string, unknown> & { model: DeploymentModel };
  backend: BackendSpec;
  provisioningState: ProvisioningState;
  provisioningError?: ProvisioningError;
  createdAt: Date;
  updatedAt: Date;
}

/** A long-running ARM operation, polled through its Azure-AsyncOperation URL. */
export interface Operation {
  id: string;
  /** ARM id of the resource the operation works on. */
  resourceId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  error?: ProvisioningError;
  startTime: Date;
  endTime?: Date;
}
