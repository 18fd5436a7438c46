// What the data-plane routes need from the app, handed in by app.ts (the composition root).

import type { Account, AccountRef, Principal, Store } from '../core/index.js';
import type { DeploymentRuntime } from '../backends/runtime.js';
import type { Capacity } from '../capacity/admission.js';
import type { PriceTable } from '../capacity/prices.js';
import type { AccessControl } from '../identity/access.js';
import type { SafetyClassifier } from '../safety/classifier/index.js';
import type { ProtectedMaterialIndex } from '../safety/protected-material/index.js';
import '../request-context.js';

export interface NetworkSettings {
  /** The caller's address (X-Forwarded-For believed only from trusted proxies). */
  clientAddress(raw: import('node:http').IncomingMessage): string | undefined;
  /** Whether the request came in through the private listener. */
  viaPrivateListener(raw: import('node:http').IncomingMessage): boolean;
  /** Account network rules: publicNetworkAccess and networkAcls. */
  evaluate(account: Account, clientAddress: string | undefined, viaPrivate: boolean): { allowed: boolean; reason?: string };
}

export interface DataPlaneContext {
  store: Store;
  runtime: DeploymentRuntime;
  access: AccessControl;
  /** The built-in content-safety classifier (loaded once). */
  classifier: SafetyClassifier;
  /** The operator's reference corpus for protected material; absent = nothing is protected material. */
  protectedMaterial?: ProtectedMaterialIndex;
  network: NetworkSettings;
  /** Rate limits and provisioned throughput of deployments with a capacity. */
  capacity: Capacity;
  /** Model prices (USD per 1M tokens) the model router ranks deployments by. */
  prices: PriceTable;
  /** Value of the x-ms-region header. */
  regionName: string;
  /** Host routing: <customSubDomainName>.<baseDomain> names the account. */
  baseDomain?: string;
  /** The account a bearer token is for when the host does not say (one-laptop default). */
  defaultAccount: AccountRef;
}
