// bench/auth: what authenticating one request costs, side by side in one run, in-process.
//
//   npm run build && node bench/auth/run.mjs [--iterations 20000] [--concurrency 16]
//
// Each row is the credential check the data plane makes per request (src/data-plane/auth.ts),
// called directly, without HTTP:
//   - none: an empty async call (the floor of this harness);
//   - api-key: the store's key lookup and the owner account through the read-through cache the
//     app runs with (cachedStore over PGlite): the hot path once a key has been seen;
//   - api-key, uncached: the same on the bare PGlite store (a query per request: a cold key);
//   - JWT RS256 / ES256: createTokenValidator().validate() with the issuer's JWKS cached (the
//     issuer is a tiny HTTP server in this process, asked once).
// Printed per row: µs per call run one after another (mean, p50, p99), and calls/s with
// --concurrency calls in flight (WebCrypto runs verification on libuv's thread pool, so
// concurrent JWT checks can use both cores).
//
// TODO(app wiring): once bearer tokens are wired into src/app.ts, add a --url mode that sends
// the same three kinds of request (no credential on a public route, api-key, Bearer) to a
// running Lapis and prints the same columns, as bench/proxy does with autocannon.

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const root = resolve(import.meta.dirname, '../..');
const dist = resolve(root, 'dist');
if (!existsSync(resolve(dist, 'identity/tokens.js'))) {
  console.error('dist/identity/tokens.js is missing: run `npm run build` first.');
  process.exit(1);
}
const { createTokenValidator } = await import(resolve(dist, 'identity/tokens.js'));
const { openStore, cachedStore } = await import(resolve(dist, 'storage/index.js'));

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '16' } },
});
const iterations = Number(values.iterations);
const concurrency = Number(values.concurrency);
const AUDIENCE = 'https://cognitiveservices.azure.com';

/** A minimal OpenID issuer: discovery and a JWKS with one RSA and one EC key. */
async function startIssuer() {
  const keys = {};
  for (const alg of ['RS256', 'ES256']) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    keys[alg] = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: `${alg.toLowerCase()}-key`, alg, use: 'sig' } };
  }
  let issuer = '';
  const server = createServer((req, res) => {
    const body = req.url === '/keys' ? { keys: Object.values(keys).map((k) => k.jwk) } : { issuer, jwks_uri: `${issuer}/keys` };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${server.address().port}`;
  // Claims as Entra puts them in an app-only token for Cognitive Services.
  const sign = (alg) =>
    new SignJWT({ oid: randomUUID(), tid: randomUUID(), appid: randomUUID(), idtyp: 'app', groups: [randomUUID(), randomUUID()] })
      .setProtectedHeader({ alg, typ: 'JWT', kid: keys[alg].jwk.kid })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setSubject(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(keys[alg].privateKey);
  return { issuer, sign, close: () => new Promise((r) => server.close(r)) };
}

async function keyStore() {
  const store = await openStore({ dataDir: ':memory:', encryptionKey: Buffer.alloc(32, 7).toString('base64') });
  const now = new Date();
  const account = {
    id: randomUUID(), subscriptionId: randomUUID(), resourceGroup: 'rg-bench', name: 'bench', location: 'westeurope',
    kind: 'OpenAI', sku: { name: 'S0' }, tags: {}, properties: {}, provisioningState: 'Succeeded', createdAt: now, updatedAt: now,
  };
  await store.accounts.upsert(account);
  const key = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
  await store.keys.set(account.id, 'key1', key);
  await store.keys.set(account.id, 'key2', key.split('').reverse().join(''));
  return { store, key };
}

/** What data-plane auth does with a presented key: its owner, then the owner account. */
async function keyCheck(store, key) {
  const match = await store.keys.findByKey(key);
  const owner = match && (await store.accounts.getById(match.accountId));
  if (!owner) throw new Error('key not found');
}

async function measure(name, fn, n) {
  for (let i = 0; i < Math.min(1000, n); i++) await fn(i); // warm-up: JIT, caches, key import
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times[i] = performance.now() - t;
  }
  times.sort();
  const mean = times.reduce((a, b) => a + b, 0) / n;
  const at = (q) => times[Math.min(n - 1, Math.floor(q * n))];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  const perSec = n / ((performance.now() - started) / 1000);
  return { name, mean: mean * 1000, p50: at(0.5) * 1000, p99: at(0.99) * 1000, perSec };
}

const idp = await startIssuer();
const validator = createTokenValidator({ issuers: [idp.issuer], audiences: [AUDIENCE] });
// Distinct tokens, so nothing could be answered from a cache of strings.
const tokens = { RS256: [], ES256: [] };
for (const alg of Object.keys(tokens)) for (let i = 0; i < 64; i++) tokens[alg].push(await idp.sign(alg));
const { store, key } = await keyStore();
const cached = cachedStore(store, 60_000);
const uncachedN = Math.max(100, Math.floor(iterations / 10)); // a query each: fewer suffice

const rows = [
  await measure('none', async () => {}, iterations),
  await measure('api-key (cached store)', () => keyCheck(cached, key), iterations),
  await measure('api-key (PGlite, uncached)', () => keyCheck(store, key), uncachedN),
  await measure('JWT RS256 (cached JWKS)', (i) => validator.validate(tokens.RS256[i % 64]), iterations),
  await measure('JWT ES256 (cached JWKS)', (i) => validator.validate(tokens.ES256[i % 64]), iterations),
];
await store.close();
await idp.close();

const fmt = (v, d = 1) => v.toFixed(d).padStart(9);
console.log(`\nauthentication per request, in-process (${iterations} calls; ${concurrency} in flight for calls/s)\n`);
console.log(`${'check'.padEnd(28)}${'mean µs'.padStart(9)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'calls/s'.padStart(11)}`);
for (const r of rows) console.log(`${r.name.padEnd(28)}${fmt(r.mean)}${fmt(r.p50)}${fmt(r.p99)}${r.perSec.toFixed(0).padStart(11)}`);
