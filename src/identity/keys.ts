// Account keys and the admin token: generation and constant-time comparison.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new account key: 256 random bits as 64 hex characters. */
export function generateAccountKey(): string {
  return randomBytes(32).toString('hex');
}

/** A new admin token for the control plane. */
export function generateAdminToken(): string {
  return `lapis-admin-${randomBytes(32).toString('base64url')}`;
}

/** Compares two secrets without leaking where they differ (hashing first equalises lengths). */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
