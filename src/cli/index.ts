// The `lapis` command line.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig, renderConfig, ConfigError } from '../config/index.js';
import { adminCommands } from './admin-commands.js';
import { CliError } from './admin-client.js';
import { serveCommand } from './serve.js';
import { simulatorCommand } from './simulator.js';

const program = new Command('lapis')
  .description('A self-hosted model service that speaks the Azure OpenAI API')
  .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version)
  .showHelpAfterError();

program.addCommand(serveCommand());
for (const cmd of adminCommands()) program.addCommand(cmd);
program.addCommand(simulatorCommand());
program
  .command('config')
  .description('configuration')
  .command('print')
  .description('print the effective configuration, where each value comes from, and its environment variable')
  .action(() => {
    process.stdout.write(`${renderConfig(loadConfig())}\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // Expected failures (bad flags, unreachable server, API errors) print one line, no stack.
  if (err instanceof CliError || err instanceof ConfigError || (err as Error).name === 'ModelDownloadError') {
    process.stderr.write(`lapis: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`lapis: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
