// The one configuration schema: every setting with its default, environment variable and
// description. `lapis config print` renders this table; nothing else reads process.env.

import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';

type Kind = 'string' | 'int' | 'bool' | 'secret';

export interface Setting<K extends Kind = Kind> {
  kind: K;
  env: string[];
  description: string;
  /** Computed lazily so that defaults that read the machine (home dir, cores) stay current. */
  default: () => (K extends 'int' ? number : K extends 'bool' ? boolean : string) | undefined;
}

function setting<K extends Kind>(s: Setting<K>): Setting<K> {
  return s;
}

export const schema = {
  host: setting({ kind: 'string', env: ['LAPIS_HOST'], description: 'Address to listen on.', default: () => '127.0.0.1' }),
  port: setting({ kind: 'int', env: ['LAPIS_PORT'], description: 'TCP port to listen on (0 = any free port).', default: () => 8080 }),
  publicUrl: setting({
    kind: 'string',
    env: ['LAPIS_PUBLIC_URL'],
    description: 'Base URL clients use to reach this server (account endpoints). Default: http://<host>:<port>.',
    default: () => undefined,
  }),
  dataDir: setting({
    kind: 'string',
    env: ['LAPIS_HOME'],
    description: 'Data directory: embedded database, admin token, master key, downloaded models.',
    default: () => join(homedir(), '.lapis'),
  }),
  databaseUrl: setting({
    kind: 'secret',
    env: ['DATABASE_URL', 'LAPIS_DATABASE_URL'],
    description: 'PostgreSQL connection string. Unset = embedded PGlite in the data directory.',
    default: () => undefined,
  }),
  databaseSchema: setting({
    kind: 'string',
    env: ['LAPIS_DATABASE_SCHEMA'],
    description: 'PostgreSQL schema for Lapis tables (created if missing). Unset = the server default (public).',
    default: () => undefined,
  }),
  adminToken: setting({
    kind: 'secret',
    env: ['LAPIS_ADMIN_TOKEN'],
    description: 'Bearer token of the control plane. Unset = generated at first start into <dataDir>/admin-token (mode 0600).',
    default: () => undefined,
  }),
  adminTokenEnabled: setting({
    kind: 'bool',
    env: ['LAPIS_ADMIN_TOKEN_ENABLED'],
    description: 'Whether the admin token (break-glass credential) is accepted on the control plane. Turn it off once principals with roles manage Lapis.',
    default: () => true,
  }),
  oidcIssuers: setting({
    kind: 'string',
    env: ['LAPIS_OIDC_ISSUERS'],
    description: 'Trusted token issuers, comma-separated issuer URLs (OpenID discovery at <issuer>/.well-known/openid-configuration). Unset = bearer tokens are refused.',
    default: () => undefined,
  }),
  tokenAudiences: setting({
    kind: 'string',
    env: ['LAPIS_TOKEN_AUDIENCES'],
    description: 'Accepted token audiences, comma-separated.',
    default: () => 'https://cognitiveservices.azure.com,https://ai.azure.com,api://lapis',
  }),
  baseDomain: setting({
    kind: 'string',
    env: ['LAPIS_BASE_DOMAIN'],
    description: 'Base domain for host routing: a request to <customSubDomainName>.<baseDomain> is for that account.',
    default: () => undefined,
  }),
  privateListen: setting({
    kind: 'string',
    env: ['LAPIS_PRIVATE_LISTEN'],
    description: 'A second, private listener (host:port, or unix:/path/to.sock): the only one that serves accounts with publicNetworkAccess Disabled, like a private endpoint.',
    default: () => undefined,
  }),
  trustedProxies: setting({
    kind: 'string',
    env: ['LAPIS_TRUSTED_PROXIES'],
    description: 'Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed, comma-separated. Unset = the header is ignored.',
    default: () => undefined,
  }),
  tlsCert: setting({ kind: 'string', env: ['LAPIS_TLS_CERT'], description: 'PEM certificate file: serve HTTPS (reloaded on SIGHUP).', default: () => undefined }),
  tlsKey: setting({ kind: 'string', env: ['LAPIS_TLS_KEY'], description: 'PEM private key file of the certificate.', default: () => undefined }),
  tlsClientCa: setting({
    kind: 'string',
    env: ['LAPIS_TLS_CLIENT_CA'],
    description: 'PEM CA file: require client certificates signed by it (mutual TLS).',
    default: () => undefined,
  }),
  encryptionKey: setting({
    kind: 'secret',
    env: ['LAPIS_ENCRYPTION_KEY'],
    description: 'Base64 AES-256 key that seals stored secrets. Unset = <dataDir>/master.key, created at first start (mode 0600).',
    default: () => undefined,
  }),
  subscriptionId: setting({
    kind: 'string',
    env: ['LAPIS_SUBSCRIPTION_ID'],
    description: 'Default subscription id for `lapis serve --model` and the CLI.',
    default: () => '00000000-0000-0000-0000-000000000000',
  }),
  resourceGroup: setting({ kind: 'string', env: ['LAPIS_RESOURCE_GROUP'], description: 'Default resource group.', default: () => 'lapis' }),
  account: setting({ kind: 'string', env: ['LAPIS_ACCOUNT'], description: 'Default account name.', default: () => 'default' }),
  location: setting({ kind: 'string', env: ['LAPIS_LOCATION'], description: 'Location of accounts created without one.', default: () => 'local' }),
  regionName: setting({ kind: 'string', env: ['LAPIS_REGION_NAME'], description: 'Value of the x-ms-region response header.', default: () => 'Local' }),
  llamaThreads: setting({
    kind: 'int',
    env: ['LAPIS_LLAMA_THREADS'],
    description: 'CPU threads per embedded model. Default: cores - 1 (at least 1); more than the cores makes llama.cpp crawl.',
    default: () => Math.max(1, availableParallelism() - 1),
  }),
  llamaContextSize: setting({
    kind: 'int',
    env: ['LAPIS_LLAMA_CONTEXT_SIZE'],
    description: "Context window of embedded models in tokens (0 = the model's training context, capped at 8192 and at what fits in memory).",
    default: () => 0,
  }),
  cacheTtlMs: setting({
    kind: 'int',
    env: ['LAPIS_CACHE_TTL_MS'],
    description: 'How long keys, accounts and deployments are cached for the data plane; changes made through another replica show after at most this long (0 = no cache).',
    default: () => 2000,
  }),
  modelMemoryBudget: setting({
    kind: 'int',
    env: ['LAPIS_MODEL_MEMORY_BUDGET'],
    description: 'Bytes of memory embedded models may use together; idle models are unloaded (least recently used first) to make room, and reload on their next request. 0 = 75% of the machine\'s memory.',
    default: () => 0,
  }),
  bodyLimit: setting({ kind: 'int', env: ['LAPIS_BODY_LIMIT'], description: 'Largest accepted request body in bytes.', default: () => 16 * 1024 * 1024 }),
  hfEndpoint: setting({
    kind: 'string',
    env: ['LAPIS_HF_ENDPOINT', 'HF_ENDPOINT'],
    description: 'Base URL for hf: model references.',
    default: () => 'https://huggingface.co',
  }),
  redisUrl: setting({
    kind: 'secret',
    env: ['REDIS_URL', 'LAPIS_REDIS_URL'],
    description: 'Redis for rate-limit counters shared by replicas. Unset = in-process counters (one replica).',
    default: () => undefined,
  }),
  redisFailure: setting({
    kind: 'string',
    env: ['LAPIS_REDIS_FAILURE'],
    description: "When Redis cannot be reached: 'closed' refuses rate-limited requests with 503; 'local' falls back to in-process counters.",
    default: () => 'closed',
  }),
  quotas: setting({
    kind: 'string',
    env: ['LAPIS_QUOTAS'],
    description: 'Quota limits as JSON, per usage name or deployment type: {"OpenAI.Standard.gpt-4o": 450, "OpenAI.GlobalProvisionedManaged": 100}.',
    default: () => undefined,
  }),
  quotaStandard: setting({
    kind: 'int',
    env: ['LAPIS_QUOTA_STANDARD'],
    description: 'Quota of a Standard usage not listed in quotas, in thousands of tokens per minute.',
    default: () => 1000,
  }),
  quotaProvisioned: setting({
    kind: 'int',
    env: ['LAPIS_QUOTA_PROVISIONED'],
    description: 'Quota of a Provisioned usage not listed in quotas, in PTUs.',
    default: () => 100,
  }),
  ptuThroughput: setting({
    kind: 'string',
    env: ['LAPIS_PTU_THROUGHPUT'],
    description: 'Throughput per PTU as JSON, merged over the built-in table: {"my-model": {"inputTokensPerMinute": 3000, "outputWeight": 4}}.',
    default: () => undefined,
  }),
  modelPrices: setting({
    kind: 'string',
    env: ['LAPIS_MODEL_PRICES'],
    description: 'Model prices for the model router as JSON, USD per 1M tokens, merged over the built-in list prices: {"my-model": {"input": 0.5, "output": 2}}. Unlisted models cost 0.',
    default: () => undefined,
  }),
  protectedMaterial: setting({
    kind: 'string',
    env: ['LAPIS_PROTECTED_MATERIAL'],
    description: 'Reference corpus for protected material detection: a .jsonl file or a directory (see docs/content-safety.md). Unset = nothing is protected material.',
    default: () => undefined,
  }),
  endpoint: setting({
    kind: 'string',
    env: ['LAPIS_ENDPOINT'],
    description: 'Control-plane URL the admin CLI talks to. Default: the URL `lapis serve` recorded in the data directory, else http://127.0.0.1:8080.',
    default: () => undefined,
  }),
  logLevel: setting({ kind: 'string', env: ['LAPIS_LOG_LEVEL'], description: 'pino log level (fatal … trace, silent).', default: () => 'info' }),
} as const;

export type SettingName = keyof typeof schema;

type ValueOf<S> = S extends Setting<infer K> ? (K extends 'int' ? number : K extends 'bool' ? boolean : string) : never;
type Required = 'host' | 'port' | 'dataDir' | 'cacheTtlMs' | 'modelMemoryBudget' | 'adminTokenEnabled' | 'tokenAudiences' | 'subscriptionId' | 'resourceGroup' | 'account' | 'location' | 'regionName' | 'llamaThreads' | 'llamaContextSize' | 'bodyLimit' | 'hfEndpoint' | 'logLevel' | 'redisFailure' | 'quotaStandard' | 'quotaProvisioned';

export type Config = { readonly [N in Required]: ValueOf<(typeof schema)[N]> } & {
  readonly [N in Exclude<SettingName, Required>]?: ValueOf<(typeof schema)[N]>;
};
