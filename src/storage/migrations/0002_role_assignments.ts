import type { Migration } from './types.js';

// Role assignments (RBAC). The id is the assignment's name, a GUID unique across all scopes as
// in ARM. Scopes are ARM ids, matched without regard to case: the text_pattern_ops index on
// lower(scope) serves both the exact match and the "lower(scope) like '<scope>/%'" prefix scan
// of "everything below a scope", whatever the database's collation.
export const migration: Migration = {
  version: 2,
  name: 'role_assignments',
  statements: [
    `create table role_assignments (
      id text primary key,
      scope text not null,
      role_definition_id text not null,
      principal_id text not null,
      principal_type text not null,
      description text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`,
    `create index role_assignments_scope_idx on role_assignments (lower(scope) text_pattern_ops)`,
    // One principal holds one role at one scope once (ARM's RoleAssignmentExists), whatever
    // the assignments' names.
    `create unique index role_assignments_grant_key
      on role_assignments (lower(scope), role_definition_id, principal_id)`,
    // The authorization path loads a principal's (and its groups') assignments on each check.
    `create index role_assignments_principal_idx on role_assignments (principal_id)`,
  ],
};
