// The model router on the wire: router deployments over simulator deployments of three priced
// models (gpt-4.1-nano < gpt-4.1-mini < gpt-4.1). Easy prompts go to the cheapest, hard ones
// (long, code, tools, reasoning cues) to the dearest; the cost and quality modes shift the
// choice; the answer's `model` and headers name the target; the openai SDK works unchanged;
// admission counts against the target and the router's content-filter policy applies; PUT
// validations, delete protection, and the operations a router does not do.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureOpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { accountPath, adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';
import { spec } from '../helpers/spec-schemas.js';

let state: ServerState;
let server: RunningServer;
let key: string;
let admin: ReturnType<typeof adminApi>;
const base = accountPath('default');

async function deploy(name: string, model: string, backend: object, extra: object = {}, sku: object = { name: 'GlobalStandard' }) {
  const path = `${base}/deployments/${name}`;
  const put = await admin.call('PUT', path, { sku, properties: { model: { format: 'OpenAI', name: model, version: '1' }, ...extra, lapis: { backend } } });
  if (put.error) throw new Error(JSON.stringify(put.error));
  while ((await admin.call('GET', path)).properties.provisioningState !== 'Succeeded') await new Promise((r) => setTimeout(r, 20));
}
const router = (deployments: string[], mode?: string) => ({ kind: 'router', deployments, ...(mode ? { mode } : {}) });

/** The answer read whole (an unread body would hold its connection open). */
async function post(deployment: string, op: string, body: object): Promise<Response> {
  const res = await fetch(`${server.url}/openai/deployments/${deployment}/${op}?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
}
const chat = (deployment: string, body: object) => post(deployment, 'chat/completions', body);

const EASY = { messages: [{ role: 'user', content: 'What is the capital of France?' }], max_tokens: 8 };
const MEDIUM = { messages: [{ role: 'user', content: 'Explain why quicksort is faster than bubble sort on average, and compare their worst cases.' }], max_tokens: 8 };
const CONTEXT = Array.from({ length: 40 }, (_, i) => `Service ${i} handles orders for region ${i % 7} and writes to shard ${i % 5}; it retries twice on failure.`).join('\n');
const HARD = {
  messages: [
    { role: 'system', content: 'You are a senior engineer.' },
    {
      role: 'user',
      content: `${CONTEXT}\n\n\`\`\`python\ndef merge(intervals):\n    intervals.sort()\n    out = []\n    for s, e in intervals:\n        if out and s <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], e)\n        else:\n            out.append([s, e])\n    return out\n\`\`\`\n\nAnalyze this algorithm step by step, prove it is correct, derive its time complexity and compare the trade-offs of optimizing it for memory.`,
    },
  ],
  tools: [{ type: 'function', function: { name: 'run_query', description: 'Runs a SQL query', parameters: { type: 'object', properties: { sql: { type: 'string' } } } } }],
  max_tokens: 8,
};

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  admin = adminApi(server);
  key = await admin.defaultAccountKey();
  for (const model of ['gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1']) await deploy(model.replace('gpt-4.1', 'g41'), model, { kind: 'simulator', model });
  // Listed out of price order: the router ranks by price itself.
  await deploy('router', 'model-router', router(['g41', 'g41-nano', 'g41-mini']));
  await deploy('router-cost', 'model-router', router(['g41', 'g41-nano', 'g41-mini'], 'cost'));
  await deploy('router-quality', 'model-router', router(['g41', 'g41-nano', 'g41-mini'], 'quality'));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

async function routed(deployment: string, body: object): Promise<{ target: string | null; model: string }> {
  const res = await chat(deployment, body);
  expect(res.status).toBe(200);
  const json = (await res.json()) as any;
  expect(res.headers.get('x-ms-deployment-name')).toBe(res.headers.get('x-lapis-routed-to'));
  return { target: res.headers.get('x-lapis-routed-to'), model: json.model };
}

describe('a router deployment', () => {
  it('sends an easy prompt to the cheapest model and a hard one to the most capable (balanced)', async () => {
    expect(await routed('router', EASY)).toEqual({ target: 'g41-nano', model: 'gpt-4.1-nano' });
    expect(await routed('router', MEDIUM)).toEqual({ target: 'g41-nano', model: 'gpt-4.1-nano' });
    expect(await routed('router', HARD)).toEqual({ target: 'g41', model: 'gpt-4.1' });
  });

  it('shifts up in quality mode and down in cost mode', async () => {
    expect((await routed('router-quality', EASY)).target).toBe('g41-mini');
    expect((await routed('router-quality', MEDIUM)).target).toBe('g41-mini');
    expect((await routed('router-quality', HARD)).target).toBe('g41');
    expect((await routed('router-cost', EASY)).target).toBe('g41-nano');
    expect((await routed('router-cost', HARD)).target).toBe('g41-mini');
  });

  it('streams, naming the target model in every chunk', async () => {
    const res = await chat('router', { ...HARD, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-lapis-routed-to')).toBe('g41');
    const chunks = (await res.text()).split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
    const models = new Set(chunks.filter((c) => c.choices.length > 0).map((c) => c.model));
    expect([...models]).toEqual(['gpt-4.1']);
  });

  it('works through the openai SDK unchanged, on both URL schemes', async () => {
    const client = new AzureOpenAI({ endpoint: server.url, apiKey: key, apiVersion: '2024-10-21', deployment: 'router', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 8 }).withResponse();
    spec.chatCompletion(data);
    expect(data.model).toBe('gpt-4.1-nano');
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-lapis-routed-to')).toBe('g41-nano');
    const chunks = [];
    const stream = await client.chat.completions.create({ model: 'router', messages: HARD.messages as any, tools: HARD.tools as any, max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) chunks.push(chunk);
    const [preamble, ...rest] = chunks as any[];
    spec.promptFilterResults(preamble.prompt_filter_results);
    for (const c of rest) spec.chatChunk(c);
    expect(new Set(rest.map((c) => c.model))).toEqual(new Set(['gpt-4.1']));
    expect(rest.at(-1).usage.total_tokens).toBeGreaterThan(0);
    const v1 = await fetch(`${server.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ ...HARD, model: 'router' }),
    });
    expect(v1.status).toBe(200);
    expect(((await v1.json()) as any).model).toBe('gpt-4.1');
  });

  it('is admitted against the target deployment’s limits', async () => {
    await deploy('tiny-limit', 'gpt-4.1-nano', { kind: 'simulator', model: 'gpt-4.1-nano' }, {}, { name: 'Standard', capacity: 1 });
    await deploy('router-limited', 'model-router', router(['tiny-limit', 'g41']));
    const first = await chat('router-limited', EASY);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('6');
    // One request per 10 s on the target: the next easy request is refused with its 429.
    const second = await chat('router-limited', EASY);
    expect(second.status).toBe(429);
    expect(((await second.json()) as any).error.code).toBe('429');
    // A hard request goes to the unlimited deployment.
    expect((await chat('router-limited', HARD)).status).toBe(200);
  });

  it('applies its own content-filter policy, not the target’s', async () => {
    await admin.call('PUT', `${base}/raiBlocklists/codenames`, { properties: {} });
    await admin.call('PUT', `${base}/raiBlocklists/codenames/raiBlocklistItems/bluebird`, { properties: { pattern: 'project bluebird', isRegex: false } });
    await admin.call('PUT', `${base}/raiPolicies/router-policy`, {
      properties: { basePolicyName: 'Microsoft.DefaultV2', mode: 'Default', customBlocklists: [{ blocklistName: 'codenames', source: 'Prompt', blocking: true }] },
    });
    await deploy('router-filtered', 'model-router', router(['g41-nano', 'g41']), { raiPolicyName: 'router-policy' });
    const ask = { messages: [{ role: 'user', content: 'Status of project bluebird?' }], max_tokens: 8 };
    const refused = await chat('router-filtered', ask);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.innererror.content_filter_result.custom_blocklists).toEqual({ filtered: true, details: [{ filtered: true, id: 'codenames' }] });
    expect((await chat('g41-nano', ask)).status).toBe(200);
  });

  it('passes over a deployment that failed to load, and is 503 when none is left', async () => {
    for (const name of ['broken', 'broken-2']) {
      const path = `${base}/deployments/${name}`;
      await admin.call('PUT', path, { sku: { name: 'GlobalStandard' }, properties: { model: { format: 'OpenAI', name: 'gpt-4.1-nano' }, lapis: { backend: { kind: 'llama', modelPath: '/nonexistent/model.gguf' } } } });
      while ((await admin.call('GET', path)).properties.provisioningState !== 'Failed') await new Promise((r) => setTimeout(r, 20));
    }
    await deploy('router-partial', 'model-router', router(['broken', 'g41-mini']));
    expect((await routed('router-partial', EASY)).target).toBe('g41-mini');
    await deploy('router-broken', 'model-router', router(['broken', 'broken-2']));
    const res = await chat('router-broken', EASY);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'DeploymentFailed', message: expect.stringContaining("'router-broken'") });
  });

  it('routes chat only: embeddings and completions are OperationNotSupported', async () => {
    for (const [op, body, name] of [['embeddings', { input: 'hello' }, 'embeddings'], ['completions', { prompt: 'hello', max_tokens: 4 }, 'completion']] as const) {
      const res = await post('router', op, body);
      expect(res.status).toBe(400);
      const err = ((await res.json()) as any).error;
      expect(err.code).toBe('OperationNotSupported');
      expect(err.message).toContain(`The ${name} operation`);
      expect(err.message).toContain('router');
    }
  });

  it('is listed with its backend, and as a chat-only model', async () => {
    const got = await admin.call('GET', `${base}/deployments/router`);
    expect(got.properties).toMatchObject({ provisioningState: 'Succeeded', model: { name: 'model-router' }, lapis: { backend: { kind: 'router', deployments: ['g41', 'g41-nano', 'g41-mini'] } } });
    const models = (await (await fetch(`${server.url}/openai/models/model-router?api-version=2024-10-21`, { headers: { 'api-key': key } })).json()) as any;
    expect(models.capabilities).toMatchObject({ chat_completion: true, completion: false, embeddings: false });
  });
});

describe('router PUT validation', () => {
  const put = (name: string, backend: object, sku: object = { name: 'GlobalStandard' }) =>
    admin.call('PUT', `${base}/deployments/${name}`, { sku, properties: { model: { format: 'OpenAI', name: 'model-router', version: '1' }, lapis: { backend } } });
  const path = 'properties.lapis.backend';

  it('refuses malformed lists, modes and members, naming the path', async () => {
    const cases: [object, string, string, RegExp][] = [
      [{ kind: 'router', deployments: ['g41', 'g41-nano'], weights: [1, 2] }, 'InvalidRequestContent', '', /Could not find member 'weights'.*Path 'properties\.lapis\.backend\.weights'/],
      [{ kind: 'router' }, 'InvalidResourceProperties', `${path}.deployments`, /required/],
      [{ kind: 'router', deployments: 'g41' }, 'InvalidRequestContent', '', /array of deployment names at path 'properties\.lapis\.backend\.deployments'/],
      [router([]), 'InvalidResourceProperties', `${path}.deployments`, /2 to 16 deployments.*has 0/],
      [router(['g41']), 'InvalidResourceProperties', `${path}.deployments`, /has 1/],
      [router(Array.from({ length: 17 }, (_, i) => `d${i}`)), 'InvalidResourceProperties', `${path}.deployments`, /has 17/],
      [router(['g41', 'G41']), 'InvalidResourceProperties', `${path}.deployments[1]`, /'G41' is named twice/],
      [router(['g41', '']), 'InvalidResourceProperties', `${path}.deployments[1]`, /must be a deployment name/],
      [router(['g41', 'g41-nano'], 'cheap'), 'InvalidResourceProperties', `${path}.mode`, /'cheap' is invalid. Valid values: balanced, quality, cost/],
      [router(['g41', 'ghost']), 'InvalidResourceProperties', `${path}.deployments[1]`, /'ghost' does not exist in account 'default'/],
      [router(['router', 'g41']), 'InvalidResourceProperties', `${path}.deployments[0]`, /'router' is itself a router/],
      [router(['g41', 'r-self']), 'InvalidResourceProperties', `${path}.deployments[1]`, /cannot name itself/],
    ];
    for (const [backend, code, target, message] of cases) {
      const res = await put('r-self', backend);
      expect(res.error, JSON.stringify(backend)).toMatchObject({ code, ...(target ? { target } : {}) });
      expect(res.error.message).toMatch(message);
    }
    expect((await admin.call('GET', `${base}/deployments/r-self`)).error.code).toBe('ResourceNotFound');
  });

  it('refuses a capacity on the router itself', async () => {
    const res = await put('r-cap', router(['g41', 'g41-nano']), { name: 'GlobalStandard', capacity: 10 });
    expect(res.error).toMatchObject({ code: 'InvalidResourceProperties', target: 'sku.capacity' });
  });

  it('refuses turning a deployment a router names into a router', async () => {
    const res = await put('g41-mini', router(['g41', 'g41-nano']));
    expect(res.error).toMatchObject({ code: 'InvalidResourceProperties', target: `${path}.kind` });
    expect(res.error.message).toMatch(/named by router deployment\(s\) 'router', 'router-cost', .*'router-quality'.*cannot become a router/);
  });

  it('accepts an update of the list and mode', async () => {
    await deploy('r-update', 'model-router', router(['g41', 'g41-nano']));
    expect((await routed('r-update', EASY)).target).toBe('g41-nano');
    await deploy('r-update', 'model-router', router(['g41-mini', 'g41'], 'quality'));
    expect((await admin.call('GET', `${base}/deployments/r-update`)).properties.lapis.backend).toEqual(router(['g41-mini', 'g41'], 'quality'));
    expect((await routed('r-update', EASY)).target).toBe('g41-mini');
    expect((await routed('r-update', MEDIUM)).target).toBe('g41-mini');
    expect((await routed('r-update', HARD)).target).toBe('g41');
    expect((await admin.call('DELETE', `${base}/deployments/r-update`)).error).toBeUndefined();
  });
});

describe('deleting a deployment a router names', () => {
  it('is refused with 409 naming the router, and allowed once no router names it', async () => {
    await deploy('spare-a', 'gpt-4o-mini', { kind: 'simulator', model: 'gpt-4o-mini' });
    await deploy('spare-b', 'gpt-4o', { kind: 'simulator', model: 'gpt-4o' });
    await deploy('r-del', 'model-router', router(['spare-a', 'spare-b']));
    const refused = await admin.call('DELETE', `${base}/deployments/SPARE-A`);
    expect(refused.error).toMatchObject({ code: 'RequestConflict' });
    expect(refused.error.message).toContain("routed to by router deployment(s) 'r-del'");
    expect((await routed('r-del', EASY)).target).toBe('spare-a');
    expect((await admin.call('DELETE', `${base}/deployments/r-del`)).error).toBeUndefined();
    expect((await admin.call('DELETE', `${base}/deployments/spare-a`)).error).toBeUndefined();
    expect((await admin.call('GET', `${base}/deployments/spare-a`)).error.code).toBe('ResourceNotFound');
  });
});
