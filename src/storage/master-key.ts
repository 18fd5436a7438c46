// Where the master key comes from: the configuration (base64, 32 bytes), or else a key file
// <dataDir>/master.key that Lapis creates on first start, readable by its owner only.

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const KEY_FILE_NAME = 'master.key';

export interface MasterKeySource {
  /** base64 (standard or url-safe) of 32 random bytes. */
  encryptionKey?: string;
  /** Where the key file lives; ':memory:' for none. */
  dataDir: string;
  /** Whether the database outlives this process (PostgreSQL, or PGlite on disk). */
  persistent: boolean;
}

/** The 32-byte master key, from configuration, the key file, or (in-memory only) made up. */
export async function loadMasterKey(source: MasterKeySource): Promise<Buffer> {
  if (source.encryptionKey !== undefined) return parseMasterKey(source.encryptionKey, 'the configured encryption key');
  if (source.dataDir !== ':memory:') return readOrCreateKeyFile(join(source.dataDir, KEY_FILE_NAME));
  if (source.persistent) {
    // A throwaway key would seal secrets that no later start could open.
    throw new Error(
      "An encryption key is required: the database is persistent, and dataDir ':memory:' leaves no place for a key file.",
    );
  }
  return randomBytes(32);
}

export function parseMasterKey(text: string, what: string): Buffer {
  const trimmed = text.trim();
  // Buffer.from skips characters that are not base64; check first so a typo is not a new key.
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (key?.length !== 32) {
    throw new Error(`${what} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`); it is not.`);
  }
  return key;
}

async function readOrCreateKeyFile(file: string): Promise<Buffer> {
  try {
    return await readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  // Write a private temporary file, then link it into place: link fails if the key file exists,
  // so two processes starting at once agree on one key and nobody reads a half-written file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  return readKeyFile(file);
}

async function readKeyFile(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`The master key file ${file} is not a regular file.`);
    // Windows has no POSIX modes to check.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(
        `The master key file ${file} has mode ${mode}: others can read it, so Lapis refuses to use it. ` +
          `Make it readable by its owner only: chmod 600 ${file}`,
      );
    }
    return parseMasterKey(await handle.readFile('utf8'), `The master key file ${file}`);
  } finally {
    await handle.close();
  }
}
