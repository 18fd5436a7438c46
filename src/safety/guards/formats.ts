// The guard-model formats a content-filter policy can name (RaiGuardFormat), by name.

import type { RaiGuardFormat } from '../../core/safety.js';
import { GRANITE_GUARDIAN } from './granite-guardian.js';
import type { GuardFormat } from './guard-format.js';
import { LLAMA_GUARD } from './llama-guard.js';
import { SHIELD_GEMMA } from './shield-gemma.js';

export const GUARD_FORMATS: Record<RaiGuardFormat, GuardFormat> = {
  LlamaGuard: LLAMA_GUARD,
  ShieldGemma: SHIELD_GEMMA,
  GraniteGuardian: GRANITE_GUARDIAN,
};

export type { GuardFormat, GuardQuery } from './guard-format.js';
