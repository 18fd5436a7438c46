import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AesGcmCipher, hashSecret, SecretOpenError, secretsEqual } from './encryption.js';
import { loadMasterKey, parseMasterKey } from './master-key.js';

const cipher = () => new AesGcmCipher(randomBytes(32));

describe('AesGcmCipher', () => {
  it('opens what it sealed, with a fresh IV each time', async () => {
    const c = cipher();
    const [a, b] = [await c.seal('secret', 'ctx'), await c.seal('secret', 'ctx')];
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(await c.open(a, 'ctx')).toBe('secret');
    expect(await c.open(await c.seal('', 'ctx'), 'ctx')).toBe('');
    expect(await c.open(await c.seal('ключ 🔑', 'ctx'), 'ctx')).toBe('ключ 🔑');
  });

  it('refuses a value sealed for another context, or altered', async () => {
    const c = cipher();
    const sealed = await c.seal('secret', 'account_keys/a/key1');
    await expect(c.open(sealed, 'account_keys/b/key1')).rejects.toThrow(SecretOpenError);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('x'.repeat(6)).toString('base64url');
    await expect(c.open(parts.join('.'), 'account_keys/a/key1')).rejects.toThrow(/authentication failed/);
  });

  it('names both keys when the master key is not the one that sealed', async () => {
    const [mine, theirs] = [cipher(), cipher()];
    const sealed = await theirs.seal('secret', 'ctx');
    const failure = mine.open(sealed, 'ctx');
    await expect(failure).rejects.toThrow(SecretOpenError);
    await expect(failure).rejects.toThrow(`sealed with master key ${theirs.keyId}, but the configured master key is ${mine.keyId}`);
  });

  it('refuses a format it does not know', async () => {
    await expect(cipher().open('v2.abc.def', 'ctx')).rejects.toThrow(/unknown format 'v2'/);
    await expect(cipher().open('plain text', 'ctx')).rejects.toThrow(SecretOpenError);
  });

  it('hashes with sha-256 and compares in constant time', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(secretsEqual('same', 'same')).toBe(true);
    expect(secretsEqual('same', 'other, longer')).toBe(false);
  });
});

describe('master key', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lapis-key-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('takes a configured key in base64', async () => {
    const key = randomBytes(32);
    const loaded = await loadMasterKey({ encryptionKey: key.toString('base64'), dataDir: ':memory:', persistent: true });
    expect(loaded.equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64url'), 'k').equals(key)).toBe(true);
  });

  it('refuses a configured key that is not 32 bytes of base64', () => {
    expect(() => parseMasterKey(randomBytes(16).toString('base64'), 'the key')).toThrow(/32 random bytes in base64/);
    expect(() => parseMasterKey('not base64 at all!', 'the key')).toThrow(/32 random bytes/);
  });

  it('creates <dataDir>/master.key once, private to its owner, and reads it back', async () => {
    const dataDir = join(await tempDir(), 'nested');
    const first = await loadMasterKey({ dataDir, persistent: true });
    const file = join(dataDir, 'master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64').equals(first)).toBe(true);
    expect((await loadMasterKey({ dataDir, persistent: true })).equals(first)).toBe(true);
  });

  it('agrees on one key when several starts create it at once', async () => {
    const dataDir = await tempDir();
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadMasterKey({ dataDir, persistent: true })));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
  });

  it('refuses a key file that others can read', async () => {
    const dataDir = await tempDir();
    const file = join(dataDir, 'master.key');
    await writeFile(file, randomBytes(32).toString('base64'));
    await chmod(file, 0o644);
    await expect(loadMasterKey({ dataDir, persistent: true })).rejects.toThrow(`has mode 0644`);
    await expect(loadMasterKey({ dataDir, persistent: true })).rejects.toThrow(`chmod 600 ${file}`);
  });

  it('makes up a key only for a database that dies with the process', async () => {
    expect((await loadMasterKey({ dataDir: ':memory:', persistent: false })).length).toBe(32);
    await expect(loadMasterKey({ dataDir: ':memory:', persistent: true })).rejects.toThrow(/encryption key is required/);
  });
});
