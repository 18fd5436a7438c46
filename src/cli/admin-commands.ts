// `lapis account|keys|deployment …`: admin commands over the control-plane HTTP API.

import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { CliError, createAdminClient, type AdminClient } from './admin-client.js';
import { parseOutput, printFields, printJson, printTable, type OutputFormat } from './output.js';

interface AdminFlags {
  endpoint?: string;
  token?: string;
  dataDir?: string;
  subscription?: string;
  resourceGroup?: string;
  account?: string;
  output: OutputFormat;
}

type Json = Record<string, any>;

function withAdminOptions(cmd: Command, options: { account?: boolean } = {}): Command {
  cmd
    .option('--endpoint <url>', 'Lapis URL (env LAPIS_ENDPOINT)')
    .option('--token <token>', 'admin token (env LAPIS_ADMIN_TOKEN)')
    .option('--data-dir <dir>', 'data directory of a local server, to find its URL and token (env LAPIS_HOME)')
    .option('--subscription <id>', 'subscription id (env LAPIS_SUBSCRIPTION_ID)')
    .option('-g, --resource-group <name>', 'resource group (env LAPIS_RESOURCE_GROUP)')
    .addOption(new Option('-o, --output <format>', 'table or json').default('table').argParser(parseOutput));
  if (options.account) cmd.option('-a, --account <name>', 'account name (env LAPIS_ACCOUNT)');
  return cmd;
}

async function connect(flags: AdminFlags): Promise<{ client: AdminClient; config: Config }> {
  const { config } = loadConfig({
    endpoint: flags.endpoint,
    dataDir: flags.dataDir,
    subscriptionId: flags.subscription,
    resourceGroup: flags.resourceGroup,
    account: flags.account,
  });
  return { client: await createAdminClient(config, flags.token), config };
}

function printAccounts(list: Json[], output: OutputFormat): void {
  if (output === 'json') return printJson(list);
  printTable(
    ['NAME', 'RESOURCE GROUP', 'LOCATION', 'KIND', 'STATE', 'ENDPOINT'],
    list.map((a) => [a.name, String(a.id).split('/')[4], a.location, a.kind, a.properties?.provisioningState, a.properties?.endpoint]),
  );
}

function describeBackend(b: Json): string {
  const where = b.modelPath ?? b.baseUrl ?? (b.endpoint ? `${b.endpoint} ${b.deployment}` : '');
  if (b.kind === 'router' && Array.isArray(b.deployments)) return `router ${b.deployments.join(',')}`;
  if (b.kind === 'pool' && Array.isArray(b.members)) return `pool ${b.members.map((m: Json) => m.name).join(',')}`;
  return `${b.kind} ${where ?? ''}`.trim();
}

function printDeployments(list: Json[], output: OutputFormat): void {
  if (output === 'json') return printJson(list);
  printTable(
    ['NAME', 'MODEL', 'SKU', 'CAPACITY', 'STATE', 'BACKEND'],
    list.map((d) => [
      d.name,
      d.properties?.model?.name,
      d.sku?.name,
      d.sku?.capacity ?? '-',
      d.properties?.provisioningState + (d.properties?.lapis?.provisioningError ? `: ${d.properties.lapis.provisioningError.message}` : ''),
      d.properties?.lapis?.backend ? describeBackend(d.properties.lapis.backend) : '',
    ]),
  );
}

interface DeploymentFlags {
  backend: 'llama' | 'openai-compatible' | 'azure-openai' | 'simulator' | 'router' | 'json';
  model?: string;
  deployments?: string;
  mode?: string;
  spec?: string;
  baseUrl?: string;
  upstreamModel?: string;
  azureEndpoint?: string;
  azureDeployment?: string;
  azureApiVersion: string;
  upstreamKey?: string;
  ttftMs?: number;
  tokensPerSecond?: number;
  modelName?: string;
  sku: string;
  capacity?: number;
  wait: boolean;
}

function need(value: string | undefined, flag: string, kind: string): string {
  if (!value) throw new CliError(`--backend ${kind} needs ${flag}`);
  return value;
}

/** The `properties.lapis.backend` of a deployment, from the command's flags. */
function backendFromFlags(f: DeploymentFlags): Json {
  switch (f.backend) {
    case 'llama':
      return { kind: 'llama', modelPath: resolve(need(f.model, '--model <path>', 'llama')) };
    case 'openai-compatible':
      return { kind: 'openai-compatible', baseUrl: need(f.baseUrl, '--base-url', f.backend), model: need(f.upstreamModel, '--upstream-model', f.backend), ...(f.upstreamKey ? { apiKey: f.upstreamKey } : {}) };
    case 'azure-openai':
      return {
        kind: 'azure-openai', endpoint: need(f.azureEndpoint, '--azure-endpoint', f.backend), deployment: need(f.azureDeployment, '--azure-deployment', f.backend),
        apiVersion: f.azureApiVersion, ...(f.upstreamKey ? { apiKey: f.upstreamKey } : {}),
      };
    case 'simulator':
      return { kind: 'simulator', ...(f.ttftMs !== undefined ? { timeToFirstTokenMs: f.ttftMs } : {}), ...(f.tokensPerSecond !== undefined ? { tokensPerSecond: f.tokensPerSecond } : {}) };
    case 'router': {
      const deployments = need(f.deployments, '--deployments <a,b,…>', 'router').split(',').map((d) => d.trim()).filter(Boolean);
      return { kind: 'router', deployments, ...(f.mode ? { mode: f.mode } : {}) };
    }
    case 'json':
      return backendSpecJson(need(f.spec, '--spec <json>', 'json'));
  }
}

/** Any backend spec (a pool, say) as JSON, checked by the server like every other. */
function backendSpecJson(text: string): Json {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--spec is not JSON: ${(error as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new CliError('--spec must be a JSON object, e.g. {"kind": "pool", "members": [...]}');
  return spec as Json;
}

function defaultModelName(backend: Json): string {
  if (backend.kind === 'llama') return basename(String(backend.modelPath)).replace(/\.gguf$/i, '');
  if (backend.kind === 'openai-compatible') return String(backend.model);
  if (backend.kind === 'azure-openai') return String(backend.deployment);
  if (backend.kind === 'router') return 'model-router';
  if (backend.kind === 'simulator') return 'lapis-simulator';
  return String(backend.kind);
}

function accountCommand(): Command {
  const cmd = new Command('account').description('manage accounts (Microsoft.CognitiveServices/accounts)');
  withAdminOptions(cmd.command('create <name>').description('create or update an account'))
    .option('--location <location>', 'location (default: LAPIS_LOCATION)')
    .option('--kind <kind>', 'OpenAI or AIServices', 'OpenAI')
    .option('--subdomain <name>', 'customSubDomainName')
    .action(async (name: string, flags: AdminFlags & { location?: string; kind: string; subdomain?: string }) => {
      const { client, config } = await connect(flags);
      const body = {
        location: flags.location ?? config.location,
        kind: flags.kind,
        sku: { name: 'S0' },
        properties: flags.subdomain ? { customSubDomainName: flags.subdomain } : {},
      };
      printAccounts([(await client.call('PUT', client.accountPath(name), body)) as Json], flags.output);
    });
  withAdminOptions(cmd.command('list').description('list accounts (of the resource group given by -g, else the whole subscription)'))
    .action(async (flags: AdminFlags) => {
      const { client, config } = await connect(flags);
      const path = flags.resourceGroup
        ? client.accountPath('').replace(/\/$/, '')
        : `/subscriptions/${config.subscriptionId}/providers/Microsoft.CognitiveServices/accounts`;
      printAccounts(((await client.call('GET', path)) as { value: Json[] }).value, flags.output);
    });
  withAdminOptions(cmd.command('show <name>').description('show an account')).action(async (name: string, flags: AdminFlags) => {
    const { client } = await connect(flags);
    const a = (await client.call('GET', client.accountPath(name))) as Json;
    if (flags.output === 'json') return printJson(a);
    printFields([['name', a.name], ['id', a.id], ['location', a.location], ['kind', a.kind], ['endpoint', a.properties?.endpoint], ['state', a.properties?.provisioningState], ['properties', a.properties]]);
  });
  withAdminOptions(cmd.command('delete <name>').description('delete an account with its keys and deployments')).action(async (name: string, flags: AdminFlags) => {
    const { client } = await connect(flags);
    await client.call('DELETE', client.accountPath(name));
    if (flags.output === 'json') printJson({ deleted: name });
    else process.stdout.write(`deleted account ${name}\n`);
  });
  return cmd;
}

function keysCommand(): Command {
  const cmd = new Command('keys').description('account keys (key1, key2)');
  withAdminOptions(cmd.command('list').description('show both keys of an account'), { account: true }).action(async (flags: AdminFlags) => {
    const { client, config } = await connect(flags);
    const keys = (await client.call('POST', `${client.accountPath(config.account)}/listKeys`)) as Json;
    if (flags.output === 'json') return printJson(keys);
    printTable(['KEY', 'VALUE'], [['key1', keys.key1], ['key2', keys.key2]]);
  });
  withAdminOptions(cmd.command('regenerate').description('replace one key; the other keeps working'), { account: true })
    .requiredOption('--key <name>', 'key1 or key2')
    .action(async (flags: AdminFlags & { key: string }) => {
      const { client, config } = await connect(flags);
      const keys = (await client.call('POST', `${client.accountPath(config.account)}/regenerateKey`, { keyName: flags.key })) as Json;
      if (flags.output === 'json') return printJson(keys);
      printTable(['KEY', 'VALUE'], [['key1', keys.key1], ['key2', keys.key2]]);
    });
  return cmd;
}

function deploymentCommand(): Command {
  const cmd = new Command('deployment').description('manage deployments of an account');
  withAdminOptions(cmd.command('create <name>').description('create or update a deployment'), { account: true })
    .addOption(new Option('--backend <kind>', 'what serves it').choices(['llama', 'openai-compatible', 'azure-openai', 'simulator', 'router', 'json']).default('llama'))
    .option('--deployments <names>', 'router: the deployments it routes among, comma-separated, cheapest first for local models')
    .option('--mode <mode>', 'router: balanced, quality or cost')
    .option('--spec <json>', 'json: the whole backend spec, e.g. a pool: {"kind":"pool","members":[…]}')
    .option('--model <path>', 'llama: GGUF file on the server machine')
    .option('--base-url <url>', 'openai-compatible: upstream base URL up to the version, e.g. http://vllm:8000/v1')
    .option('--upstream-model <name>', 'openai-compatible: the model name the upstream knows')
    .option('--azure-endpoint <url>', 'azure-openai: e.g. https://my-resource.openai.azure.com')
    .option('--azure-deployment <name>', 'azure-openai: the upstream deployment')
    .option('--azure-api-version <version>', 'azure-openai: api-version to call it with', '2024-10-21')
    .option('--upstream-key <key>', 'openai-compatible / azure-openai: the upstream key (stored sealed)')
    .option('--ttft-ms <ms>', 'simulator: time to first token', (v) => Number.parseInt(v, 10))
    .option('--tokens-per-second <n>', 'simulator: pace (0 = as fast as possible)', (v) => Number.parseInt(v, 10))
    .option('--model-name <name>', 'model name reported by the deployment (default: from the model)')
    .option('--sku <name>', 'deployment type', 'Standard')
    .option('--capacity <n>', 'capacity units: thousands of tokens per minute (Standard) or PTUs (Provisioned); unset = no rate limit', (v) => Number.parseInt(v, 10))
    .option('--no-wait', 'return as soon as the deployment is accepted')
    .action(async (name: string, flags: AdminFlags & DeploymentFlags) => {
      const { client, config } = await connect(flags);
      const backend = backendFromFlags(flags);
      const modelName = flags.modelName ?? defaultModelName(backend);
      const body = {
        sku: { name: flags.sku, ...(flags.capacity === undefined ? {} : { capacity: flags.capacity }) },
        properties: { model: { format: backend.kind === 'llama' ? 'GGUF' : 'OpenAI', name: modelName, version: '1' }, lapis: { backend } },
      };
      const path = `${client.accountPath(config.account)}/deployments/${encodeURIComponent(name)}`;
      let d = (await client.call('PUT', path, body)) as Json;
      while (flags.wait && (d.properties?.provisioningState === 'Creating' || d.properties?.provisioningState === 'Updating')) {
        await new Promise((r) => setTimeout(r, 250));
        d = (await client.call('GET', path)) as Json;
      }
      printDeployments([d], flags.output);
      if (d.properties?.provisioningState === 'Failed') process.exitCode = 1;
    });
  withAdminOptions(cmd.command('list').description('list deployments of an account'), { account: true }).action(async (flags: AdminFlags) => {
    const { client, config } = await connect(flags);
    printDeployments(((await client.call('GET', `${client.accountPath(config.account)}/deployments`)) as { value: Json[] }).value, flags.output);
  });
  withAdminOptions(cmd.command('show <name>').description('show a deployment'), { account: true }).action(async (name: string, flags: AdminFlags) => {
    const { client, config } = await connect(flags);
    const d = (await client.call('GET', `${client.accountPath(config.account)}/deployments/${encodeURIComponent(name)}`)) as Json;
    if (flags.output === 'json') return printJson(d);
    printFields([['name', d.name], ['id', d.id], ['sku', d.sku], ['model', d.properties?.model], ['state', d.properties?.provisioningState], ['lapis', d.properties?.lapis]]);
  });
  withAdminOptions(cmd.command('delete <name>').description('delete a deployment'), { account: true }).action(async (name: string, flags: AdminFlags) => {
    const { client, config } = await connect(flags);
    await client.call('DELETE', `${client.accountPath(config.account)}/deployments/${encodeURIComponent(name)}`);
    if (flags.output === 'json') printJson({ deleted: name });
    else process.stdout.write(`deleted deployment ${name}\n`);
  });
  return cmd;
}

export function adminCommands(): Command[] {
  return [accountCommand(), keysCommand(), deploymentCommand()];
}
