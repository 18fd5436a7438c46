// Protected material on the wire: a server started with a reference corpus flags completions
// that reproduce a work of it. The corpus is made of what the simulator itself writes for a
// prompt (its text is a function of the prompt), so the same request afterwards reproduces it.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { accountPath, adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let key: string;
let corpus: string;
/** The request whose answer the corpus holds: its seed is picked at start-up for a long enough answer. */
let words = 0;
let copied = { messages: [{ role: 'user', content: 'Recite the poem.' }], max_tokens: 400, seed: 0 };
const fresh = { messages: [{ role: 'user', content: 'Say something new.' }], max_tokens: 120, seed: 8 };

function chat(deployment: string, body: object) {
  return fetch(`${server.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  state = await newServerState();
  corpus = await mkdtemp(join(tmpdir(), 'lapis-corpus-'));
  // First run, without a corpus: learn what the simulator writes for the prompt.
  server = await startInProcess(state);
  const admin = adminApi(server);
  key = await admin.defaultAccountKey();
  await admin.deploy('sim', { kind: 'simulator' });
  let said = '';
  for (let seed = 1; said.split(/\s+/).length < 50; seed++) {
    expect(seed).toBeLessThan(200);
    copied = { ...copied, seed };
    said = ((await (await chat('sim', copied)).json()) as any).choices[0].message.content as string;
  }
  words = said.split(/\s+/).length;
  await server.stop();
  await writeFile(join(corpus, 'poem.txt'), `An old poem.\n\n${said}\n\nThe end.`);
  await writeFile(join(corpus, 'citations.json'), JSON.stringify({ 'poem.txt': { url: 'https://example.org/poem', license: 'CC-BY-4.0' } }));
  server = await startInProcess(state, { protectedMaterial: corpus });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
  if (corpus) await rm(corpus, { recursive: true, force: true });
});

describe('protected material text', () => {
  it('withholds a completion that reproduces a work of the corpus (Microsoft.DefaultV2)', async () => {
    const body = (await (await chat('sim', copied)).json()) as any;
    expect(body.choices[0].finish_reason).toBe('content_filter');
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].content_filter_results.protected_material_text).toEqual({ filtered: true, detected: true });
    expect(body.choices[0].content_filter_results.protected_material_code).toEqual({ filtered: false, detected: false });
  });

  it('passes other completions, annotated as not detected', async () => {
    const body = (await (await chat('sim', fresh)).json()) as any;
    expect(body.choices[0].finish_reason).not.toBe('content_filter');
    expect(body.choices[0].content_filter_results.protected_material_text).toEqual({ filtered: false, detected: false });
  });

  it('stops a stream in the Default mode before the reproduced text is sent', async () => {
    const res = await chat('sim', { ...copied, stream: true });
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
    const last = events.filter((e) => e.choices?.[0]?.finish_reason).at(-1);
    expect(last.choices[0].finish_reason).toBe('content_filter');
    expect(last.choices[0].content_filter_results.protected_material_text).toEqual({ filtered: true, detected: true });
    const sent = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    // Held back from the segment where the run reached the threshold: never the whole work.
    expect(sent.split(/\s+/).filter(Boolean).length).toBeLessThan(words - 5);
  });

  it('annotates without withholding under a policy where the filter does not block', async () => {
    const base = accountPath('default');
    const admin = adminApi(server);
    await admin.call('PUT', `${base}/raiPolicies/annotate-only`, {
      properties: { basePolicyName: 'Microsoft.DefaultV2', contentFilters: [{ name: 'Protected Material Text', source: 'Completion', enabled: true, blocking: false }] },
    });
    const path = `${base}/deployments/lenient`;
    await admin.call('PUT', path, { sku: { name: 'Standard' }, properties: { model: { format: 'OpenAI', name: 'lenient' }, raiPolicyName: 'annotate-only', lapis: { backend: { kind: 'simulator' } } } });
    while ((await admin.call('GET', path)).properties.provisioningState !== 'Succeeded') await new Promise((r) => setTimeout(r, 20));
    const body = (await (await chat('lenient', copied)).json()) as any;
    expect(body.choices[0].finish_reason).not.toBe('content_filter');
    expect(body.choices[0].content_filter_results.protected_material_text).toEqual({ filtered: false, detected: true });
  });
});

describe('a corpus that cannot be read', () => {
  it('stops the server from starting, naming the path', async () => {
    const other = await newServerState();
    try {
      await expect(startInProcess(other, { protectedMaterial: join(corpus, 'missing') })).rejects.toThrow(/protected material corpus '.*missing' does not exist/);
    } finally {
      await other.cleanup();
    }
  });
});
