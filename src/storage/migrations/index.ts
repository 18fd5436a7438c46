import { migration as m0001 } from './0001_initial.js';
import { migration as m0002 } from './0002_role_assignments.js';
import { migration as m0003 } from './0003_rai.js';
import { migration as m0004 } from './0004_rai_classifier.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration, in the order they apply. Add new ones at the end. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004];
