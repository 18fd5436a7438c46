// The storage port. One implementation (src/storage) runs on PGlite or PostgreSQL through
// Drizzle; everything above it sees only this interface. Every method may throw
// StoreUnavailableError when the database cannot be reached.

import type { RoleAssignment } from './identity.js';
import type { Account, AccountRef, Deployment, KeyName, Operation } from './resources.js';
import type { RaiBlocklist, RaiBlocklistItem, RaiPolicy } from './safety.js';

export interface AccountListFilter {
  subscriptionId: string;
  resourceGroup?: string;
}

export interface AccountRepository {
  /** Inserts or replaces the account with this (subscription, resource group, name). */
  upsert(account: Account): Promise<void>;
  get(ref: AccountRef): Promise<Account | undefined>;
  getById(id: string): Promise<Account | undefined>;
  list(filter: AccountListFilter): Promise<Account[]>;
  /** Another account (of any subscription) that already uses this custom subdomain. */
  findBySubdomain(subdomain: string): Promise<Account | undefined>;
  /** Deletes the account with its keys, deployments, RAI policies and blocklists. True if it existed. */
  delete(ref: AccountRef): Promise<boolean>;
}

export interface KeyMatch {
  accountId: string;
  keyName: KeyName;
}

export interface KeyRepository {
  /** Stores a key: sealed (encrypted) for listKeys and hashed for lookup on the data path. */
  set(accountId: string, keyName: KeyName, key: string): Promise<void>;
  /** Both keys in plain text (decrypted). */
  list(accountId: string): Promise<Record<KeyName, string> | undefined>;
  /** Finds the owner of a presented key by its hash. */
  findByKey(key: string): Promise<KeyMatch | undefined>;
}

export interface DeploymentRepository {
  upsert(deployment: Deployment): Promise<void>;
  get(accountId: string, name: string): Promise<Deployment | undefined>;
  list(accountId: string): Promise<Deployment[]>;
  /** Every deployment of every account (start-up loads their models). */
  listAll(): Promise<Deployment[]>;
  delete(accountId: string, name: string): Promise<boolean>;
}

export interface OperationRepository {
  upsert(operation: Operation): Promise<void>;
  get(id: string): Promise<Operation | undefined>;
}

export interface RoleAssignmentRepository {
  /** Inserts or replaces the assignment with this id. */
  upsert(assignment: RoleAssignment): Promise<void>;
  get(id: string): Promise<RoleAssignment | undefined>;
  /** Assignments at `scope` or below it (case-insensitive prefix on whole path segments); all when undefined. */
  listUnder(scope?: string): Promise<RoleAssignment[]>;
  /** Assignments naming any of these principals (a principal and its groups), at any scope. */
  listForPrincipals(principalIds: string[]): Promise<RoleAssignment[]>;
  delete(id: string): Promise<boolean>;
}

export interface RaiPolicyRepository {
  /** Inserts or replaces the account's policy of this name (case-insensitive). */
  upsert(policy: RaiPolicy): Promise<void>;
  /** The account's own policy; built-in ones are not stored (see resolveRaiPolicy). */
  get(accountId: string, name: string): Promise<RaiPolicy | undefined>;
  list(accountId: string): Promise<RaiPolicy[]>;
  delete(accountId: string, name: string): Promise<boolean>;
}

export interface RaiBlocklistRepository {
  /** Inserts or replaces the blocklist's own fields; its items stay as they are. */
  upsert(blocklist: Omit<RaiBlocklist, 'items'>): Promise<void>;
  /** The blocklist with its items. */
  get(accountId: string, name: string): Promise<RaiBlocklist | undefined>;
  list(accountId: string): Promise<RaiBlocklist[]>;
  /** Deletes the blocklist with its items. True if it existed. */
  delete(accountId: string, name: string): Promise<boolean>;
  /** Inserts or replaces items by name (case-insensitive), all or none. False if the blocklist does not exist. */
  upsertItems(accountId: string, blocklistName: string, items: RaiBlocklistItem[]): Promise<boolean>;
  /** Deletes the items of these names; returns how many existed. */
  deleteItems(accountId: string, blocklistName: string, names: string[]): Promise<number>;
}

export interface Store {
  readonly accounts: AccountRepository;
  readonly keys: KeyRepository;
  readonly deployments: DeploymentRepository;
  readonly operations: OperationRepository;
  readonly roleAssignments: RoleAssignmentRepository;
  readonly raiPolicies: RaiPolicyRepository;
  readonly raiBlocklists: RaiBlocklistRepository;
  /** Cheap round trip, for readiness and outage detection. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
