// The README's quick start, as a new user runs it: `lapis serve --model stories260K.gguf`,
// then the official openai SDK's AzureOpenAI client with the printed endpoint and key.
// Also: a restart on the same data directory keeps accounts, keys and deployments, and the
// admin CLI reads and rotates keys over the control plane.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureOpenAI } from 'openai';
import { newServerState, runCli, startCli, STORIES, type CliServer, type ServerState } from '../helpers/server.js';

function client(server: { url: string; key: string }) {
  return new AzureOpenAI({ endpoint: server.url, apiKey: server.key, apiVersion: '2024-10-21', deployment: 'default', maxRetries: 0 });
}

describe('quick start: lapis serve --model stories260K.gguf', () => {
  let state: ServerState;
  let server: CliServer;

  beforeAll(async () => {
    state = await newServerState();
    server = await startCli(state, ['--model', STORIES]);
  });
  afterAll(async () => {
    await server?.stop();
    await state?.cleanup();
  });

  it('prints the endpoint, a key and a ready-to-paste curl command', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.key).toMatch(/^[0-9a-f]{64}$/);
    expect(server.stdout()).toContain(`curl "${server.url}/openai/deployments/default/chat/completions?api-version=2024-10-21"`);
    expect(server.stdout()).toContain(`-H "api-key: ${server.key}"`);
  });

  it('answers AzureOpenAI chat.completions.create with text and usage', async () => {
    const completion = await client(server).chat.completions.create({
      model: 'ignored-by-azure',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 24,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content!.trim().length).toBeGreaterThan(0);
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(['stop', 'length']).toContain(completion.choices[0]!.finish_reason);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('lists keys through the CLI as JSON', async () => {
    const res = await runCli(state, ['keys', 'list', '--account', 'default', '--output', 'json']);
    expect(res.stderr).toBe('');
    const keys = JSON.parse(res.stdout) as { key1: string; key2: string };
    expect(keys.key1).toBe(server.key);
    expect(keys.key2).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.key2).not.toBe(keys.key1);
  });

  it('keeps accounts, keys and deployments across a restart on the same data directory', async () => {
    expect(await server.stop()).toBe(0);
    server = await startCli(state, ['--model', STORIES]);
    const list = await runCli(state, ['deployment', 'list', '--account', 'default', '--output', 'json']);
    const deployments = JSON.parse(list.stdout) as { name: string; properties: { provisioningState: string } }[];
    expect(deployments.map((d) => d.name)).toEqual(['default']);
    expect(deployments[0]!.properties.provisioningState).toBe('Succeeded');
    const keys = JSON.parse((await runCli(state, ['keys', 'list', '--output', 'json'])).stdout) as { key1: string };
    expect(keys.key1).toBe(server.key);
    const completion = await client(server).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 });
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('regenerateKey invalidates the old key at once and leaves the other working', async () => {
    const before = JSON.parse((await runCli(state, ['keys', 'list', '--output', 'json'])).stdout) as { key1: string; key2: string };
    const res = await runCli(state, ['keys', 'regenerate', '--key', 'key1', '--output', 'json']);
    expect(res.code).toBe(0);
    const after = JSON.parse(res.stdout) as { key1: string; key2: string };
    expect(after.key1).not.toBe(before.key1);
    expect(after.key2).toBe(before.key2);

    const old = client({ url: server.url, key: before.key1 });
    await expect(old.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })).rejects.toMatchObject({
      status: 401,
      code: '401',
    });
    for (const key of [after.key1, before.key2]) {
      const ok = await client({ url: server.url, key }).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
      expect(ok.choices).toHaveLength(1);
    }
  });
});
