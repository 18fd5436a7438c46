import type { Migration } from './types.js';

// A policy's own classifier (a guard-model deployment or a Content Safety service). The
// service's key is a secret: it is sealed like account keys, in its own column, never in the
// jsonb document that is returned on GET.
export const migration: Migration = {
  version: 4,
  name: 'rai_policy_classifier',
  statements: [`alter table rai_policies add column classifier jsonb`, `alter table rai_policies add column classifier_key_sealed text`],
};
