// Account network rules through the real app, from real loopback source addresses (the whole
// 127/8 is local on Linux): networkAcls deny by default and allow by ipRule, X-Forwarded-For
// believed only from the trusted proxy (127.0.0.3), and publicNetworkAccess Disabled served
// only through the private listener. A request the rules let in reaches deployment lookup
// (404 DeploymentNotFound: no model is needed); one they refuse gets Azure's 403.

import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { accountPath, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

const PROXY = '127.0.0.3';
const DENIED_BODY = { error: { code: '403', message: 'Access denied due to Virtual Network/Firewall rules.' } };

let state: ServerState;
let server: RunningServer;
const keys: Record<string, string> = {};

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

function request(url: string, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; localAddress?: string } = {}): Promise<Answer> {
  const target = url.startsWith('unix:') ? { socketPath: url.slice('unix:'.length) } : { hostname: new URL(url).hostname, port: new URL(url).port };
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...target, method, path, localAddress: options.localAddress, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const admin = (method: string, path: string, body?: unknown) =>
  request(server.url, method, `${path}?api-version=2025-06-01`, { headers: { authorization: `Bearer ${server.adminToken}` }, body });

/** A data-plane call with the account's key, from a chosen source address and listener. */
function chat(account: string, from: { localAddress?: string; forwardedFor?: string; listener?: 'public' | 'private' } = {}) {
  const url = from.listener === 'private' ? server.privateUrl! : server.url;
  return request(url, 'POST', '/openai/deployments/no-such-deployment/chat/completions?api-version=2024-10-21', {
    localAddress: from.localAddress,
    headers: { 'api-key': keys[account]!, ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}) },
    body: { messages: [{ role: 'user', content: 'hi' }] },
  });
}

async function createAccount(name: string, properties: Record<string, unknown>): Promise<void> {
  const put = await admin('PUT', accountPath(name), { location: 'local', kind: 'OpenAI', sku: { name: 'S0' }, properties });
  expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
  keys[name] = (await admin('POST', `${accountPath(name)}/listKeys`)).body.key1;
}

const expectAllowed = (answer: Answer) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(404);
  expect(answer.body.error.code).toBe('DeploymentNotFound');
};
const expectDenied = (answer: Answer) => {
  expect(answer.status).toBe(403);
  expect(answer.body).toEqual(DENIED_BODY);
  expect(answer.headers['policy-id']).toBe('ThrowExceptionDueToTrafficDenied');
};

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state, { privateListen: `unix:${join(state.dataDir, 'private.sock')}`, trustedProxies: PROXY });
  await createAccount('open', {});
  await createAccount('firewalled', { networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '127.0.0.2' }, { value: '198.51.100.0/24' }] } });
  await createAccount('private', { publicNetworkAccess: 'Disabled' });
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('networkAcls', () => {
  it('lets everyone reach an account without rules', async () => {
    expectAllowed(await chat('open', { localAddress: '127.0.0.2' }));
    expectAllowed(await chat('open', { localAddress: '127.0.0.4' }));
  });

  it('denies by default and allows an address in ipRules', async () => {
    expectAllowed(await chat('firewalled', { localAddress: '127.0.0.2' }));
    expectDenied(await chat('firewalled', { localAddress: '127.0.0.4' }));
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expectDenied(await chat('firewalled', { localAddress: '127.0.0.4', forwardedFor: '127.0.0.2' }));
    expectDenied(await chat('firewalled', { localAddress: '127.0.0.4', forwardedFor: '198.51.100.7' }));
  });

  it('believes the trusted proxy about the client, and only about the hop it saw', async () => {
    expectAllowed(await chat('firewalled', { localAddress: PROXY, forwardedFor: '198.51.100.7' }));
    expectDenied(await chat('firewalled', { localAddress: PROXY, forwardedFor: '203.0.113.9' }));
    // The client wrote the left entry itself: the proxy saw 203.0.113.9.
    expectDenied(await chat('firewalled', { localAddress: PROXY, forwardedFor: '198.51.100.7, 203.0.113.9' }));
  });

  it('lets private-listener traffic past the firewall, as a private endpoint', async () => {
    expectAllowed(await chat('firewalled', { listener: 'private' }));
  });
});

describe('publicNetworkAccess Disabled', () => {
  it('answers only through the private listener', async () => {
    expectDenied(await chat('private', { localAddress: '127.0.0.2' }));
    expectDenied(await chat('private', { localAddress: PROXY, forwardedFor: '127.0.0.2' }));
    expectAllowed(await chat('private', { listener: 'private' }));
  });

  it('leaves the control plane reachable, to turn it back on', async () => {
    const get = await admin('GET', accountPath('private'));
    expect(get.status).toBe(200);
    expect(get.body.properties.publicNetworkAccess).toBe('Disabled');
  });
});

describe('validation at PUT', () => {
  it.each([
    [{ publicNetworkAccess: 'Off' }, 'properties.publicNetworkAccess'],
    [{ networkAcls: { defaultAction: 'Block' } }, 'properties.networkAcls.defaultAction'],
    [{ networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '10.0.0.1/8' }] } }, 'properties.networkAcls.ipRules[0].value'],
  ])('refuses %j naming the field', async (properties, field) => {
    const put = await admin('PUT', accountPath('bad-network'), { location: 'local', kind: 'OpenAI', sku: { name: 'S0' }, properties });
    expect(put.status).toBe(400);
    expect(put.body.error.message).toContain(field);
  });
});
