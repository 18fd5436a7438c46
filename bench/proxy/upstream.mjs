// The upstream of bench/proxy, in a process of its own so that its CPU is neither the load
// generator's nor the proxy's: Lapis's simulator HTTP server with no pacing (no time to first
// token, no token rate), so every answer is written the moment its request is read.
// Prints one JSON line {"url": …} when listening; stops on SIGTERM.
// Usage: node bench/proxy/upstream.mjs   (after npm run build)

import { startSimulatorServer } from '../../dist/backends/simulator/index.js';

const server = await startSimulatorServer({ host: '127.0.0.1', port: 0, spec: { model: 'sim', timeToFirstTokenMs: 0, tokensPerSecond: 0 } });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
