// `lapis simulator`: a standalone OpenAI-compatible server over the simulator engine —
// deterministic text at a set pace with injected faults — to load-test applications, or to
// stand in as an upstream engine (point an openai-compatible deployment at <url>/v1).

import { Command } from 'commander';
import { startSimulatorServer } from '../backends/simulator/index.js';

const int = (v: string) => Number.parseInt(v, 10);
const rate = (v: string) => Number.parseFloat(v);

export function simulatorCommand(): Command {
  return new Command('simulator')
    .description('run a simulated OpenAI-compatible model server (for load tests and as an upstream)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', int, 8090)
    .option('--model <name>', 'model id it reports', 'lapis-simulator')
    .option('--ttft-ms <ms>', 'time to first token', int, 0)
    .option('--tokens-per-second <n>', 'pace of generated tokens (0 = as fast as possible)', int, 0)
    .option('--rate-limit <rate>', 'share of requests answered 429 (0-1)', rate, 0)
    .option('--server-error <rate>', 'share of requests answered 500 (0-1)', rate, 0)
    .action(async (flags: { host: string; port: number; model: string; ttftMs: number; tokensPerSecond: number; rateLimit: number; serverError: number }) => {
      const server = await startSimulatorServer({
        host: flags.host,
        port: flags.port,
        spec: {
          model: flags.model,
          timeToFirstTokenMs: flags.ttftMs,
          tokensPerSecond: flags.tokensPerSecond,
          faults: { rateLimit: flags.rateLimit, serverError: flags.serverError },
        },
      });
      process.stdout.write(`Simulator serving at ${server.url}/v1 (model ${flags.model})\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
