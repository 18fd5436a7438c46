// `lapis serve`: the main job. Fetches the model if it is a URL, starts the server on the
// embedded defaults, and on first start creates the default account and deployment through
// the control plane itself (the same code path as any client), then prints how to call it.

import { writeFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { ensureModel, resolveModelSource, createProgressReporter } from '../backends/llama/download.js';
import { startServer, closeOnSignals, type RunningServer } from '../main.js';
import { CLI_API_VERSION, SERVER_FILE } from './admin-client.js';

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  model?: string;
  deployment: string;
  threads?: string;
  protectedMaterial?: string;
}

async function fetchModel(spec: string, config: Config): Promise<string> {
  const modelsDir = join(config.dataDir, 'models');
  const source = resolveModelSource(spec, { modelsDir, hfEndpoint: config.hfEndpoint });
  const progress = createProgressReporter(process.stderr, { label: basename(spec) });
  try {
    return await ensureModel(source, { modelsDir, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
}

/** Calls the control plane in-process with the admin token; throws on an error status. */
async function admin(server: RunningServer, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown) {
  const res = await server.app.inject({
    method,
    url: `${path}?api-version=${CLI_API_VERSION}`,
    headers: { authorization: `Bearer ${server.adminToken}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  if (res.statusCode >= 400 && !(method === 'GET' && res.statusCode === 404)) {
    throw new Error(`control plane ${method} ${path} failed: ${res.statusCode} ${res.body}`);
  }
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
}

/** Creates the default account (once) and points the deployment at the model. */
async function bootstrap(server: RunningServer, config: Config, modelPath: string, deployment: string): Promise<string> {
  const accountPath = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${config.account}`;
  if ((await admin(server, 'GET', accountPath)).status === 404) {
    await admin(server, 'PUT', accountPath, { location: config.location, kind: 'OpenAI', sku: { name: 'S0' }, properties: {} });
  }
  const deploymentPath = `${accountPath}/deployments/${deployment}`;
  await admin(server, 'PUT', deploymentPath, {
    sku: { name: 'Standard' },
    properties: { model: { format: 'GGUF', name: basename(modelPath).replace(/\.gguf$/i, ''), version: '1', source: modelPath } },
  });
  let d = (await admin(server, 'GET', deploymentPath)).body;
  while (d.properties?.provisioningState === 'Creating' || d.properties?.provisioningState === 'Updating') {
    await new Promise((r) => setTimeout(r, 50));
    d = (await admin(server, 'GET', deploymentPath)).body;
  }
  if (d.properties?.provisioningState === 'Failed') {
    process.stderr.write(`lapis: deployment '${deployment}' failed to load its model: ${d.properties.lapis?.provisioningError?.message}\n`);
  }
  const keys = await admin(server, 'POST', `${accountPath}/listKeys`);
  return keys.body.key1 as string;
}

function printReady(url: string, key: string, deployment: string): void {
  const curl = [
    // Quoted: an unquoted '?' is a glob in zsh and fish.
    `curl "${url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21" \\`,
    `  -H "api-key: ${key}" -H "content-type: application/json" \\`,
    `  -d '{"messages":[{"role":"user","content":"Hello!"}],"max_tokens":32}'`,
  ].join('\n');
  process.stdout.write(
    `\nLapis is serving at ${url}\n\n  endpoint:    ${url}\n  api key:     ${key}\n  deployment:  ${deployment}\n  api-version: 2024-10-21\n\nTry it:\n\n${curl}\n\n`,
  );
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Lapis server (embedded database and models by default)')
    .option('--host <address>', 'address to listen on (env LAPIS_HOST)')
    .option('--port <port>', 'port to listen on (env LAPIS_PORT)')
    .option('--data-dir <dir>', 'data directory (env LAPIS_HOME, default ~/.lapis)')
    .option('--model <path|url|hf:user/repo/file.gguf>', 'GGUF model to serve as the default deployment')
    .option('--deployment <name>', 'name of the deployment that serves --model', 'default')
    .option('--threads <n>', 'CPU threads per embedded model (env LAPIS_LLAMA_THREADS)')
    .option('--protected-material <path>', 'reference corpus for protected material detection, .jsonl or a directory (env LAPIS_PROTECTED_MATERIAL)')
    .action(async (flags: ServeFlags) => {
      const { config } = loadConfig({
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        llamaThreads: flags.threads,
        protectedMaterial: flags.protectedMaterial,
      });
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      const modelPath = flags.model ? await fetchModel(flags.model, config) : undefined;
      const server = await startServer(config);
      closeOnSignals(server);
      await writeFile(join(config.dataDir, SERVER_FILE), JSON.stringify({ url: server.url, pid: process.pid }) + '\n', { mode: 0o600 });
      if (modelPath) {
        const key = await bootstrap(server, config, modelPath, flags.deployment);
        printReady(server.url, key, flags.deployment);
      } else {
        process.stdout.write(`\nLapis is serving at ${server.url} (no --model given; existing deployments are being restored)\n`);
      }
    });
}
