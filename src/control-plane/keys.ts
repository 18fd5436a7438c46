// POST …/accounts/{name}/listKeys and …/regenerateKey (RM examples ListKeys.json, RegenerateKey.json).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyName } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { generateAccountKey } from '../identity/index.js';
import { readObject, requiredString } from './body.js';
import { ACCOUNT_PATH } from './accounts.js';
import { requireAccount, type AccountParams, type ControlPlaneContext } from './context.js';

async function keysOf(ctx: ControlPlaneContext, accountId: string): Promise<Record<KeyName, string>> {
  const keys = await ctx.store.keys.list(accountId);
  // Every account gets both keys when it is created; a missing pair is a storage fault.
  if (!keys) throw errors.internalError();
  return { key1: keys.key1, key2: keys.key2 };
}

export function registerKeyRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type Req = FastifyRequest<{ Params: AccountParams }>;

  app.post(`${ACCOUNT_PATH}/listKeys`, { config: { operation: 'accounts.listKeys' } }, async (request: Req) => {
    const account = await requireAccount(ctx, request.params);
    return keysOf(ctx, account.id);
  });

  app.post(`${ACCOUNT_PATH}/regenerateKey`, { config: { operation: 'accounts.regenerateKey' } }, async (request: Req) => {
    const account = await requireAccount(ctx, request.params);
    const body = readObject(request.body ?? {}, '', 'RegenerateKeyParameters', ['keyName']);
    const given = requiredString(body, 'keyName', '');
    const keyName = given.toLowerCase();
    if (keyName !== 'key1' && keyName !== 'key2') {
      throw errors.invalidResourceProperties(`The keyName '${given}' is invalid. Valid values are 'Key1' and 'Key2'.`, 'keyName');
    }
    // The old key stops working as soon as this write commits; the other key is untouched.
    await ctx.store.keys.set(account.id, keyName, generateAccountKey());
    return keysOf(ctx, account.id);
  });
}
