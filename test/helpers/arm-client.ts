// The ARM SDK's management client pointed at a Lapis server, authenticated with its admin token.

import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { RunningServer } from '../../src/main.js';
import { SUBSCRIPTION } from './server.js';

export function managementClient(server: RunningServer, apiVersion?: string): CognitiveServicesManagementClient {
  // Never called: the admin-token policy below replaces the bearer policy that would use it.
  const credential: TokenCredential = { getToken: async () => null };
  const client = new CognitiveServicesManagementClient(credential, SUBSCRIPTION, {
    endpoint: server.url,
    allowInsecureConnection: true,
    ...(apiVersion ? { apiVersion } : {}),
  });
  client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  const adminToken: PipelinePolicy = {
    name: 'lapisAdminToken',
    sendRequest(request, next) {
      request.headers.set('authorization', `Bearer ${server.adminToken}`);
      return next(request);
    },
  };
  client.pipeline.addPolicy(adminToken);
  return client;
}
