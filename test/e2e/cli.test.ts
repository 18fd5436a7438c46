// The admin CLI against a running server, over HTTP: accounts, keys and deployments, in tables
// for people and JSON for scripts, and clear one-line errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AzureOpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { writeTinyGguf } from '../fixtures/gguf.js';
import { newServerState, ROOT, runCli, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let cli: (...args: string[]) => ReturnType<typeof runCli>;

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  await writeTinyGguf(join(state.dataDir, 'tiny.gguf'), { name: 'tiny' });
  // A separate "client machine": it knows the server only through --endpoint and --token.
  const client = { ...state, env: { LAPIS_HOME: join(state.dataDir, 'elsewhere') } };
  cli = (...args) => runCli(client, [...args, '--endpoint', server.url, '--token', server.adminToken]);
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('lapis account', () => {
  it('creates, lists, shows and deletes accounts', async () => {
    const created = await cli('account', 'create', 'team-a', '--subdomain', 'team-a', '-g', 'apps');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^NAME\s+RESOURCE GROUP\s+LOCATION\s+KIND\s+STATE\s+ENDPOINT/);
    expect(created.stdout).toMatch(/team-a\s+apps\s+local\s+OpenAI\s+Succeeded/);

    const list = await cli('account', 'list', '--output', 'json');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((a) => a.name)).toEqual(['team-a']);

    const shown = JSON.parse((await cli('account', 'show', 'team-a', '-g', 'apps', '-o', 'json')).stdout) as { properties: { customSubDomainName: string } };
    expect(shown.properties.customSubDomainName).toBe('team-a');

    expect((await cli('account', 'delete', 'team-a', '-g', 'apps')).stdout).toBe('deleted account team-a\n');
    expect(JSON.parse((await cli('account', 'list', '-o', 'json')).stdout)).toEqual([]);
  });

  it('prints API errors as one line and exits 1', async () => {
    const res = await cli('account', 'show', 'ghost');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^lapis: 404 ResourceNotFound: The Resource 'Microsoft\.CognitiveServices\/accounts\/ghost'/);
    const bad = await cli('account', 'create', 'x');
    expect(bad.stderr).toMatch(/^lapis: 400 InvalidResourceName/);
  });

  it('says how to fix an unreachable server or a missing token', async () => {
    const unreachable = await runCli(state, ['account', 'list', '--endpoint', 'http://127.0.0.1:9', '--token', 't']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Cannot reach Lapis at http:\/\/127\.0\.0\.1:9/);
    const noToken = await runCli({ ...state, env: { LAPIS_HOME: join(state.dataDir, 'nowhere') } }, ['account', 'list']);
    expect(noToken.stderr).toMatch(/No admin token/);
  });
});

describe('lapis deployment and keys', () => {
  it('creates a deployment, waits for it, lists, shows and deletes it', async () => {
    await cli('account', 'create', 'default');
    const created = await cli('deployment', 'create', 'chat', '--model', join(state.dataDir, 'tiny.gguf'), '--capacity', '5');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/chat\s+tiny\s+Standard\s+5\s+Succeeded\s+llama /);

    const list = JSON.parse((await cli('deployment', 'list', '-o', 'json')).stdout) as { name: string }[];
    expect(list.map((d) => d.name)).toEqual(['chat']);
    const shown = (await cli('deployment', 'show', 'chat')).stdout;
    expect(shown).toMatch(/state\s+Succeeded/);

    const failed = await cli('deployment', 'create', 'bad', '--model', join(state.dataDir, 'missing.gguf'));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/bad\s+missing\s+Standard\s+-\s+Failed: /);

    expect((await cli('deployment', 'delete', 'chat')).code).toBe(0);
    expect((await cli('deployment', 'delete', 'bad')).code).toBe(0);
    expect(JSON.parse((await cli('deployment', 'list', '-o', 'json')).stdout)).toEqual([]);
  });

  it('lists and regenerates keys', async () => {
    const keys = JSON.parse((await cli('keys', 'list', '-o', 'json')).stdout) as { key1: string; key2: string };
    const table = (await cli('keys', 'list')).stdout;
    expect(table).toContain(keys.key1);
    const after = JSON.parse((await cli('keys', 'regenerate', '--key', 'key2', '-o', 'json')).stdout) as { key1: string; key2: string };
    expect(after.key1).toBe(keys.key1);
    expect(after.key2).not.toBe(keys.key2);
  });
});

describe('other backends from the CLI', () => {
  it('creates a simulator deployment and an openai-compatible one in front of `lapis simulator`', async () => {
    const sim = await cli('deployment', 'create', 'sim', '--backend', 'simulator', '--ttft-ms', '0');
    expect(sim.code).toBe(0);
    expect(sim.stdout).toMatch(/sim\s+lapis-simulator\s+Standard\s+-\s+Succeeded\s+simulator/);

    // A router over it and a second simulator, and a pool given as a JSON spec.
    expect((await cli('deployment', 'create', 'sim2', '--backend', 'simulator', '--model-name', 'gpt-4.1')).code).toBe(0);
    const router = await cli('deployment', 'create', 'auto', '--backend', 'router', '--deployments', 'sim, sim2', '--mode', 'cost');
    expect(router.code).toBe(0);
    expect(router.stdout).toMatch(/auto\s+model-router\s+Standard\s+-\s+Succeeded\s+router sim,sim2/);
    const spec = JSON.stringify({ kind: 'pool', members: [{ name: 'a', backend: { kind: 'simulator' } }, { name: 'b', priority: 2, backend: { kind: 'simulator' } }] });
    const pool = await cli('deployment', 'create', 'pooled', '--backend', 'json', '--spec', spec);
    expect(pool.code).toBe(0);
    expect(pool.stdout).toMatch(/pooled\s+pool\s+Standard\s+-\s+Succeeded\s+pool a,b/);
    const notJson = await cli('deployment', 'create', 'bad', '--backend', 'json', '--spec', '{kind');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^lapis: --spec is not JSON: /);
    for (const d of ['auto', 'pooled', 'sim2']) expect((await cli('deployment', 'delete', d)).code).toBe(0);

    const missing = await cli('deployment', 'create', 'up', '--backend', 'openai-compatible');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('lapis: --backend openai-compatible needs --base-url\n');

    const child = spawn(process.execPath, [join(ROOT, 'bin/lapis.js'), 'simulator', '--port', '0', '--model', 'upstream-sim'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((res) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /serving at (\S+)\/v1/.exec(out);
          if (m) res(m[1]!);
        });
      });
      const up = await cli('deployment', 'create', 'up', '--backend', 'openai-compatible', '--base-url', `${url}/v1`, '--upstream-model', 'upstream-sim', '--upstream-key', 'sk-secret', '-o', 'json');
      expect(up.code).toBe(0);
      const shown = JSON.parse(up.stdout)[0];
      expect(shown.properties.lapis.backend).toEqual({ kind: 'openai-compatible', baseUrl: `${url}/v1`, model: 'upstream-sim', apiKeySet: true });
      expect(up.stdout).not.toContain('sk-secret');
      const keys = JSON.parse((await cli('keys', 'list', '-o', 'json')).stdout) as { key1: string };
      const openai = new AzureOpenAI({ endpoint: server.url, apiKey: keys.key1, apiVersion: '2024-10-21', deployment: 'up', maxRetries: 0 });
      const res = await openai.chat.completions.create({ model: 'up', messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 });
      expect(res.model).toBe('upstream-sim');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

