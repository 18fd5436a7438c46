// Drizzle descriptions of the tables that migrations/ creates. The DDL in migrations/ is the
// source of truth (hand-written, reviewed as SQL); these mirror it so queries are typed. Tables
// are unqualified (no pgSchema): a deployment or a test run picks its schema with search_path.
//
// ARM names are case-insensitive (subscription ids, resource groups, accounts, deployments), so
// uniqueness and lookups go through lower(...) expression indexes, while the name keeps the
// casing it was created with, as ARM returns it.

import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { PrincipalType } from '../core/identity.js';
import type {
  BackendSpec,
  Deployment,
  KeyName,
  Operation,
  ProvisioningError,
  ProvisioningState,
  Sku,
} from '../core/resources.js';
import type { RaiClassifier, RaiContentFilter, RaiCustomBlocklistRef, RaiPolicyMode } from '../core/safety.js';

export type StoredRaiClassifier = RaiClassifier extends infer C ? (C extends { key?: string } ? Omit<C, 'key'> : C) : never;

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const lapisMigrations = pgTable('lapis_migrations', {
  version: integer('version').primaryKey(),
  name: text('name').notNull(),
  appliedAt: instant('applied_at').notNull().defaultNow(),
});

/** Small facts about the database itself (the master key check value). */
export const lapisMeta = pgTable('lapis_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    subscriptionId: text('subscription_id').notNull(),
    resourceGroup: text('resource_group').notNull(),
    name: text('name').notNull(),
    location: text('location').notNull(),
    kind: text('kind').notNull(),
    sku: jsonb('sku').$type<Sku>().notNull(),
    tags: jsonb('tags').$type<Record<string, string>>().notNull(),
    identity: jsonb('identity').$type<Record<string, unknown>>(),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
    provisioningState: text('provisioning_state').$type<ProvisioningState>().notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('accounts_ref_key').on(
      sql`lower(${t.subscriptionId})`,
      sql`lower(${t.resourceGroup})`,
      sql`lower(${t.name})`,
    ),
    // A custom subdomain names one account across all subscriptions (it becomes a host name).
    uniqueIndex('accounts_subdomain_key')
      .on(sql`lower(${t.properties} ->> 'customSubDomainName')`)
      .where(sql`${t.properties} ->> 'customSubDomainName' is not null`),
  ],
);

export const accountKeys = pgTable(
  'account_keys',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    keyName: text('key_name').$type<KeyName>().notNull(),
    /** The key sealed by the SecretCipher (see encryption.ts); never the plain key. */
    sealed: text('sealed').notNull(),
    /** sha-256 hex of the key: the data path finds a key's owner without decrypting anything. */
    keyHash: text('key_hash').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.keyName] }),
    uniqueIndex('account_keys_hash_key').on(t.keyHash),
    check('account_keys_name_check', sql`${t.keyName} in ('key1', 'key2')`),
  ],
);

export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sku: jsonb('sku').$type<Sku>().notNull(),
    properties: jsonb('properties').$type<Deployment['properties']>().notNull(),
    backend: jsonb('backend').$type<BackendSpec>().notNull(),
    provisioningState: text('provisioning_state').$type<ProvisioningState>().notNull(),
    provisioningError: jsonb('provisioning_error').$type<ProvisioningError>(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('deployments_name_key').on(t.accountId, sql`lower(${t.name})`)],
);

export const operations = pgTable('operations', {
  id: text('id').primaryKey(),
  resourceId: text('resource_id').notNull(),
  status: text('status').$type<Operation['status']>().notNull(),
  error: jsonb('error').$type<ProvisioningError>(),
  startTime: instant('start_time').notNull(),
  endTime: instant('end_time'),
});

export const roleAssignments = pgTable(
  'role_assignments',
  {
    /** The assignment's name (a GUID), unique across scopes as in ARM. */
    id: text('id').primaryKey(),
    scope: text('scope').notNull(),
    roleDefinitionId: text('role_definition_id').notNull(),
    principalId: text('principal_id').notNull(),
    principalType: text('principal_type').$type<PrincipalType>().notNull(),
    description: text('description'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    index('role_assignments_scope_idx').on(sql`lower(${t.scope}) text_pattern_ops`),
    uniqueIndex('role_assignments_grant_key').on(sql`lower(${t.scope})`, t.roleDefinitionId, t.principalId),
    index('role_assignments_principal_idx').on(t.principalId),
  ],
);

export const raiPolicies = pgTable(
  'rai_policies',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    basePolicyName: text('base_policy_name'),
    mode: text('mode').$type<RaiPolicyMode>().notNull(),
    contentFilters: jsonb('content_filters').$type<RaiContentFilter[]>().notNull(),
    customBlocklists: jsonb('custom_blocklists').$type<RaiCustomBlocklistRef[]>().notNull(),
    /** The classifier without its key (RaiClassifier minus `key`). */
    classifier: jsonb('classifier').$type<StoredRaiClassifier>(),
    classifierKeySealed: text('classifier_key_sealed'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('rai_policies_name_key').on(t.accountId, sql`lower(${t.name})`)],
);

export const raiBlocklists = pgTable(
  'rai_blocklists',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('rai_blocklists_name_key').on(t.accountId, sql`lower(${t.name})`)],
);

export const raiBlocklistItems = pgTable(
  'rai_blocklist_items',
  {
    blocklistId: uuid('blocklist_id')
      .notNull()
      .references(() => raiBlocklists.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    pattern: text('pattern').notNull(),
    isRegex: boolean('is_regex').notNull(),
  },
  (t) => [uniqueIndex('rai_blocklist_items_name_key').on(t.blocklistId, sql`lower(${t.name})`)],
);
