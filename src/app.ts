// buildApp(config): the one composition root. It picks the concrete drivers (storage,
// backends), builds the Fastify instance and registers the stages of a request in order.
// main.ts is the only file that listens.

import { mkdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from './config/index.js';
import { StoreUnavailableError, type Store } from './core/index.js';
import { ApiError, controlPlaneErrors, dataPlaneErrors, isApiError } from './errors/index.js';
import { ensureAdminToken } from './identity/index.js';
import { createAccessControl } from './identity/access.js';
import { createTokenValidator } from './identity/tokens.js';
import { loadBuiltInClassifier } from './safety/classifier/index.js';
import { loadProtectedMaterial } from './safety/protected-material/index.js';
import { Capacity } from './capacity/admission.js';
import { MemoryLimiter } from './capacity/limiter/memory.js';
import { createRedisClient, RedisLimiter } from './capacity/limiter/redis.js';
import { parseQuotas } from './capacity/quota.js';
import { parseThroughput, throughputTable } from './capacity/throughput.js';
import { parseModelPrices, priceTable } from './capacity/prices.js';
import { ConfigError } from './config/index.js';
import { createClientAddressResolver, evaluateNetworkAccess, viaPrivateListener } from './network/index.js';
import { cachedStore, openStore } from './storage/index.js';
import { DeploymentRuntime } from './backends/runtime.js';
import { controlPlane } from './control-plane/index.js';
import { dataPlane } from './data-plane/index.js';
import { parseJsonBody } from './json-body.js';

export interface LapisApp {
  app: FastifyInstance;
  store: Store;
  runtime: DeploymentRuntime;
  adminToken: string;
  /** Stops serving models and closes the database (after app.close()). */
  close(): Promise<void>;
}

type Plane = 'data' | 'control';

function planeOf(url: string): Plane {
  return url.startsWith('/openai') || url.startsWith('/contentsafety') ? 'data' : 'control';
}

/** Any failure as the catalog error of the plane the request is on. */
function toApiError(err: FastifyError | Error, plane: Plane, bodyLimit: number, request: FastifyRequest): ApiError {
  if (isApiError(err)) return err;
  const catalog = plane === 'data' ? dataPlaneErrors : controlPlaneErrors;
  if (err instanceof StoreUnavailableError) {
    return catalog.serviceUnavailable('The service is temporarily unable to reach its database. Please retry shortly.');
  }
  const code = (err as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return catalog.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return plane === 'data'
        ? dataPlaneErrors.unsupportedMediaType(request.headers['content-type'])
        : controlPlaneErrors.invalidRequestContent(`Unsupported content type '${request.headers['content-type']}'.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return plane === 'data'
        ? dataPlaneErrors.invalidRequest('invalid_json', `We could not parse the JSON body of your request: ${err.message}`)
        : controlPlaneErrors.invalidRequestContent(err.message);
  }
  if ((err as { jsonParseError?: boolean }).jsonParseError) {
    return plane === 'data'
      ? dataPlaneErrors.invalidRequest('invalid_json', `We could not parse the JSON body of your request: ${err.message}`)
      : controlPlaneErrors.invalidRequestContent(`Invalid JSON: ${err.message}`);
  }
  return catalog.internalError();
}

export async function buildApp(config: Config): Promise<LapisApp> {
  if (config.dataDir !== ':memory:') await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // Protected material: the operator's corpus, indexed once, before anything opens; a bad corpus stops the start.
  const protectedMaterial = config.protectedMaterial === undefined ? undefined : await loadProtectedMaterial(config.protectedMaterial);
  const quotaLimits = config.quotas === undefined ? {} : parseQuotas(config.quotas);
  const throughput = throughputTable(config.ptuThroughput === undefined ? {} : parseThroughput(config.ptuThroughput));
  const prices = priceTable(config.modelPrices === undefined ? {} : parseModelPrices(config.modelPrices));
  if (config.redisFailure !== 'closed' && config.redisFailure !== 'local') throw new ConfigError(`redisFailure must be 'closed' or 'local', got '${config.redisFailure}'`);
  // Rate-limit counters: in Redis when replicas share them (it reconnects by itself; while it is
  // down the failure policy applies), in-process otherwise.
  const limiter = config.redisUrl === undefined ? new MemoryLimiter() : new RedisLimiter(createRedisClient(config.redisUrl));
  const capacity = new Capacity({
    limiter,
    throughput,
    ...(config.redisUrl !== undefined && config.redisFailure === 'local' ? { fallback: new MemoryLimiter() } : {}),
  });
  const store = cachedStore(
    await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      schema: config.databaseSchema,
      encryptionKey: config.encryptionKey,
    }),
    config.cacheTtlMs,
  );
  const adminToken = await ensureAdminToken(config.dataDir, config.adminToken);
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // ARM paths are case-insensitive (resourceGroups vs resourcegroups); params keep their case.
    routerOptions: { caseSensitive: false },
    genReqId: () => randomUUID(),
    // Per-request lines only when debugging: at info they would be most of the log volume.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
  });
  const runtime = new DeploymentRuntime(store, {
    llamaThreads: config.llamaThreads,
    llamaContextSize: config.llamaContextSize,
    modelMemoryBudget: config.modelMemoryBudget,
    log: app.log,
  });

  // What the authentication stages of either plane leave on the request.
  app.decorateRequest('account', null);
  app.decorateRequest('principal', null);

  // request context: every response carries the request id under Azure's two names.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('apim-request-id', request.id).header('x-request-id', request.id);
  });

  // JSON bodies: an empty body is "no body" (ARM SDKs POST listKeys without one); a
  // malformed one is marked so the error handler can name it in the plane's own shape.
  // Only JSON is accepted for now (multipart arrives with files); anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

  app.setErrorHandler((err: FastifyError, request, reply: FastifyReply) => {
    const apiError = toApiError(err, planeOf(request.url), config.bodyLimit, request);
    // Catalog errors are answers; anything else that reached here is a bug worth a stack.
    if (!isApiError(err) && apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
    void reply.code(apiError.statusCode).headers(apiError.headers).send(apiError.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const err = planeOf(request.url) === 'data' ? dataPlaneErrors.resourceNotFound() : controlPlaneErrors.noRoute(request.method, request.url.split('?')[0]!);
    void reply.code(err.statusCode).send(err.body);
  });

  const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const issuers = list(config.oidcIssuers);
  const access = createAccessControl({
    store,
    tokens: issuers.length > 0 ? createTokenValidator({ issuers, audiences: list(config.tokenAudiences) }) : undefined,
  });
  const clientAddress = createClientAddressResolver(config.trustedProxies);

  await app.register(controlPlane, {
    store,
    runtime,
    access,
    adminToken,
    adminTokenEnabled: config.adminTokenEnabled,
    defaultLocation: config.location,
    publicUrl: config.publicUrl,
    quota: {
      limits: quotaLimits,
      defaultStandard: config.quotaStandard,
      defaultProvisioned: config.quotaProvisioned,
    },
  });
  if (protectedMaterial) app.log.info({ protectedMaterial: protectedMaterial.stats }, 'protected material corpus indexed');
  await app.register(dataPlane, {
    store,
    runtime,
    access,
    classifier: loadBuiltInClassifier(),
    capacity,
    prices,
    ...(protectedMaterial ? { protectedMaterial } : {}),
    network: {
      clientAddress,
      viaPrivateListener,
      evaluate: (account, address, viaPrivate) => evaluateNetworkAccess({ properties: account.properties, clientAddress: address, viaPrivateListener: viaPrivate }),
    },
    regionName: config.regionName,
    baseDomain: config.baseDomain,
    defaultAccount: { subscriptionId: config.subscriptionId, resourceGroup: config.resourceGroup, name: config.account },
  });

  return {
    app,
    store,
    runtime,
    adminToken,
    async close() {
      await runtime.close();
      await limiter.close();
      await store.close();
    },
  };
}
