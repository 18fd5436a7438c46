import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../core/errors.js';
import { dropSchema, randomEncryptionKey, sampleAccount } from '../../test/helpers/store.js';
import { openStore } from './index.js';
import { startProxy } from '../../test/helpers/tcp-proxy.js';
import { isConnectionFailure, translateFailure } from './outage.js';

describe('connection failures', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('are told apart from other failures, through wrappers', () => {
    expect(isConnectionFailure(coded('ECONNREFUSED'))).toBe(true);
    expect(isConnectionFailure(coded('08006'))).toBe(true);
    expect(isConnectionFailure(coded('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFailure(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionFailure(new Error('Failed query: select 1', { cause: coded('ECONNRESET') }))).toBe(true);
    expect(isConnectionFailure(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]))).toBe(true);

    expect(isConnectionFailure(coded('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isConnectionFailure(new Error('Failed query', { cause: coded('42P01') }))).toBe(false);
    expect(isConnectionFailure('ECONNREFUSED')).toBe(false);
  });

  it('become StoreUnavailableError with the root message; others pass through', () => {
    const cause = coded('ECONNREFUSED', 'connect ECONNREFUSED');
    const translated = translateFailure(new DrizzleQueryError('select $1', ['secret'], cause));
    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect((translated as Error).message).toBe('The database cannot be reached: connect ECONNREFUSED');
    const other = coded('23505');
    expect(translateFailure(other)).toBe(other);
  });
});

const url = process.env.DATABASE_URL;

// PGlite runs inside this process and cannot go away; an outage needs a server over a network.
describe.skipIf(!url)('a PostgreSQL outage', () => {
  it('fails calls with StoreUnavailableError, then recovers without a reopen', async () => {
    const direct = new URL(url ?? '');
    const target = { host: direct.hostname, port: Number(direct.port || 5432) };
    const schema = `lapis_test_${randomBytes(6).toString('hex')}`;
    let proxy = await startProxy(target);
    const viaProxy = new URL(direct);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const background: Error[] = [];
    const store = await openStore({
      databaseUrl: viaProxy.href,
      schema,
      dataDir: ':memory:',
      encryptionKey: randomEncryptionKey(),
      connectionTimeoutMillis: 1_000,
      onBackgroundError: (error) => background.push(error),
    });
    try {
      const account = sampleAccount();
      await store.accounts.upsert(account);
      await store.keys.set(account.id, 'key1', 'outage-key-1');

      // First outage: calls at once, racing the pool's discovery that its connections died.
      await proxy.stop();
      await expect(store.accounts.get(account)).rejects.toThrow(StoreUnavailableError);
      await expect(store.keys.findByKey('outage-key-1')).rejects.toThrow(StoreUnavailableError);
      await expect(store.deployments.listAll()).rejects.toThrow(StoreUnavailableError);
      await expect(store.ping()).rejects.toThrow(StoreUnavailableError);

      proxy = await startProxy(target, proxy.port);
      await store.ping();
      expect((await store.accounts.get(account))?.id).toBe(account.id);
      expect(await store.keys.findByKey('outage-key-1')).toEqual({ accountId: account.id, keyName: 'key1' });

      // Second outage: the idle connection dies first. Its error is reported, not thrown into
      // the event loop (which would end the process), and calls then find nobody listening.
      const reported = background.length;
      await proxy.stop();
      await vi.waitFor(() => expect(background.length).toBeGreaterThan(reported));
      await expect(store.accounts.list({ subscriptionId: account.subscriptionId })).rejects.toThrow(StoreUnavailableError);

      proxy = await startProxy(target, proxy.port);
      expect(await store.accounts.list({ subscriptionId: account.subscriptionId })).toHaveLength(1);
    } finally {
      await store.close();
      await proxy.stop();
      await dropSchema(url ?? '', schema);
    }
  });

  it('fails to open with StoreUnavailableError when nothing answers', async () => {
    const proxy = await startProxy({ host: '127.0.0.1', port: 1 });
    await proxy.stop(); // a port that was just free: connections are refused
    const nowhere = new URL(url ?? '');
    nowhere.hostname = '127.0.0.1';
    nowhere.port = String(proxy.port);
    await expect(
      openStore({ databaseUrl: nowhere.href, dataDir: ':memory:', encryptionKey: randomEncryptionKey() }),
    ).rejects.toThrow(StoreUnavailableError);
  });

  it('gives up on a server that accepts but never answers, after connectionTimeoutMillis', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const blackhole = new URL(url ?? '');
    blackhole.hostname = '127.0.0.1';
    blackhole.port = String((silent.address() as net.AddressInfo).port);
    try {
      const failure = openStore({
        databaseUrl: blackhole.href,
        dataDir: ':memory:',
        encryptionKey: randomEncryptionKey(),
        connectionTimeoutMillis: 300,
      });
      await expect(failure).rejects.toThrow(StoreUnavailableError);
      await expect(failure).rejects.toThrow(/timeout/);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
