// The account-level rules of router deployments (kind 'router', docs/capacity.md "Model
// router"): a router names deployments that exist in its account and serve a model — never
// another router, so a request is routed once — and a deployment a router names cannot be
// deleted or turned into a router while the router names it.

import type { Account, BackendSpec, Deployment, Store } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The router deployments of the account that name `name`. */
export async function routersNaming(store: Store, accountId: string, name: string): Promise<Deployment[]> {
  return (await store.deployments.list(accountId)).filter((d) => d.backend.kind === 'router' && d.backend.deployments.some((n) => same(n, name)));
}

/** Throws InvalidResourceProperties naming the member (or the router) that breaks the rules above. */
export async function checkRouting(store: Store, account: Account, name: string, backend: BackendSpec): Promise<void> {
  if (backend.kind !== 'router') return;
  const path = 'properties.lapis.backend.deployments';
  for (const [i, member] of backend.deployments.entries()) {
    if (same(member, name)) throw errors.invalidResourceProperties(`The router '${name}' cannot name itself.`, `${path}[${i}]`);
    const target = await store.deployments.get(account.id, member);
    if (!target) throw errors.invalidResourceProperties(`The deployment '${member}' does not exist in account '${account.name}'.`, `${path}[${i}]`);
    if (target.backend.kind === 'router') {
      throw errors.invalidResourceProperties(`The deployment '${target.name}' is itself a router; a router names deployments that serve a model.`, `${path}[${i}]`);
    }
  }
  const naming = await routersNaming(store, account.id, name);
  if (naming.length > 0) {
    throw errors.invalidResourceProperties(
      `The deployment '${name}' is named by router deployment(s) ${naming.map((r) => `'${r.name}'`).join(', ')}, so it cannot become a router itself.`,
      'properties.lapis.backend.kind',
    );
  }
}
