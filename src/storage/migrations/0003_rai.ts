import type { Migration } from './types.js';

// Content-filter (RAI) policies and custom blocklists of an account. They go with their
// account (on delete cascade), items with their blocklist. Names are unique per parent without
// regard to case, as in ARM. A policy's filters are one jsonb document: they are read and
// written whole, never queried inside.
export const migration: Migration = {
  version: 3,
  name: 'rai_policies_blocklists',
  statements: [
    `create table rai_policies (
      id uuid primary key,
      account_id uuid not null references accounts (id) on delete cascade,
      name text not null,
      base_policy_name text,
      mode text not null,
      content_filters jsonb not null,
      custom_blocklists jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`,
    `create unique index rai_policies_name_key on rai_policies (account_id, lower(name))`,
    `create table rai_blocklists (
      id uuid primary key,
      account_id uuid not null references accounts (id) on delete cascade,
      name text not null,
      description text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`,
    `create unique index rai_blocklists_name_key on rai_blocklists (account_id, lower(name))`,
    `create table rai_blocklist_items (
      blocklist_id uuid not null references rai_blocklists (id) on delete cascade,
      name text not null,
      pattern text not null,
      is_regex boolean not null
    )`,
    `create unique index rai_blocklist_items_name_key on rai_blocklist_items (blocklist_id, lower(name))`,
  ],
};
