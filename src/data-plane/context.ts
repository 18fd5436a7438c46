// What the data-plane routes need from the app, handed in by app.ts (the composition root).

import type { Account, Store } from '../core/index.js';
import type { DeploymentRuntime } from '../backends/runtime.js';

export interface DataPlaneContext {
  store: Store;
  runtime: DeploymentRuntime;
  /** Value of the x-ms-region header. */
  regionName: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The account the caller authenticated to (set by the authentication stage). */
    account: Account | null;
  }
}
