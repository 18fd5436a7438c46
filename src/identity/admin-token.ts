// The control plane's break-glass admin token: from config, or generated once into the data
// directory with owner-only permissions so other local users cannot read it.

import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAdminToken } from './keys.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function ensureAdminToken(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) await chmod(file, 0o600);
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = generateAdminToken();
  // 'wx': two processes starting together must not overwrite each other's token.
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw err;
  }
  return token;
}
