// The Portkey gateway (@portkey-ai/gateway, pinned in bench/proxy/package.json with the
// @hono/node-server 1.13.8 override its SSE streaming needs) started through its `gateway`
// bin, as its README says, in a process of its own.

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { start, waitForOutput } from './processes.mjs';

const pkgDir = join(import.meta.dirname, 'node_modules/@portkey-ai/gateway');

/** A port free on 127.0.0.1 now: the bin takes --port=N and has no "any free port". */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startPortkey() {
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  const bin = join(pkgDir, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.gateway);
  const port = await freePort();
  // node itself runs the bin (not the .bin shell shim) so that the pid read from /proc is the
  // gateway's; loopback.mjs keeps it on 127.0.0.1 (it listens on all interfaces otherwise).
  const child = start('portkey', process.execPath, ['--import', join(import.meta.dirname, 'loopback.mjs'), bin, `--port=${port}`, '--headless'], {
    cwd: dirname(bin),
  });
  await waitForOutput(child, /Ready for connections/);
  return { child, url: `http://127.0.0.1:${port}`, version: pkg.version };
}
