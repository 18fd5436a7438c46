// Encryption at rest for secrets Lapis must give back (account keys for listKeys), and hashing
// for secrets it only has to recognise (a presented api-key).
//
// Sealed format, one string: v1.<key id>.<iv>.<ciphertext>.<tag> (base64url parts).
//   v1       AES-256-GCM, 96-bit random IV, 128-bit tag.
//   key id   names the key that sealed it, so a wrong key is reported as such and a later
//            key ring (KEK providers, per-account data keys) can pick the right key.
// The caller passes a context (where the secret is stored); it is bound as GCM additional
// data, so a sealed value copied into another row does not open.

import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Seals and opens secrets. Async, so a key held by an external KMS can implement it. */
export interface SecretCipher {
  /** Id of the key that seals new secrets. */
  readonly keyId: string;
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/** A sealed secret could not be opened: wrong master key, tampering, or an unknown format. */
export class SecretOpenError extends Error {
  override readonly name = 'SecretOpenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM with one 32-byte master key. */
export class AesGcmCipher implements SecretCipher {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`An AES-256 key is 32 bytes; this one is ${key.length}.`);
    this.#key = Buffer.from(key);
    this.keyId = keyIdOf(key);
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return [VERSION, this.keyId, ...parts].join('.');
  }

  async open(sealed: string, context: string): Promise<string> {
    const [version, keyId, iv, body, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length > 0 || iv === undefined || body === undefined || tag === undefined) {
      throw new SecretOpenError(
        `Cannot open a sealed secret: unknown format '${version ?? ''}' (this Lapis reads ${VERSION}).`,
      );
    }
    if (keyId !== this.keyId) {
      throw new SecretOpenError(
        `Cannot open a sealed secret: it was sealed with master key ${keyId}, but the configured master key is ` +
          `${this.keyId}. Configure the encryption key this database was created with.`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretOpenError(
        'Cannot open a sealed secret: its authentication failed (the stored value was altered or belongs elsewhere).',
        { cause },
      );
    }
  }
}

/**
 * Public id of a key: a truncated hash under a fixed label, so it identifies the key without
 * being usable as a hash of it elsewhere.
 */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('lapis master key id\0').update(key).digest('hex').slice(0, 16);
}

/** How a secret is found without storing it: sha-256, hex. Keys are random, so no salt. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Compares two secrets in constant time. Both are hashed first so that the comparison has a
 * fixed length and leaks nothing, not even the length of the expected secret.
 */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
