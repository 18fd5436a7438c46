// A cheap check of a model file in the server process, before any model process is forked:
// a wrong path or a file that is not GGUF deserves a plain answer, not a crashed child.
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (magic "GGUF", u32 version).

import { open } from 'node:fs/promises';
import { ModelLoadError } from '../../core/errors.js';

/** GGUF versions llama.cpp reads (v1 was dropped long ago). */
const SUPPORTED_VERSIONS = new Set([2, 3]);

export async function assertGgufFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    throw new ModelLoadError(`cannot open model file ${path}: ${why}`, { cause: err });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ModelLoadError(`model path ${path} is not a regular file`);
    const header = Buffer.alloc(8);
    const { bytesRead } = await handle.read(header, 0, 8, 0);
    const magic = header.subarray(0, 4).toString('latin1');
    if (bytesRead < 8 || magic !== 'GGUF') {
      throw new ModelLoadError(`${path} is not a GGUF file (expected magic "GGUF", found ${JSON.stringify(magic.slice(0, bytesRead))})`);
    }
    const version = header.readUInt32LE(4);
    if (!SUPPORTED_VERSIONS.has(version)) {
      throw new ModelLoadError(`${path} is GGUF version ${version}; supported versions are 2 and 3`);
    }
  } finally {
    await handle.close();
  }
}
