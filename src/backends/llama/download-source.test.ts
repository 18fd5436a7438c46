import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveModelSource, type ModelSource } from './download-source.js';

const modelsDir = '/var/lib/lapis/models';
const remote = (spec: string, hfEndpoint?: string): Extract<ModelSource, { kind: 'url' }> => {
  const s = resolveModelSource(spec, { modelsDir, ...(hfEndpoint ? { hfEndpoint } : {}) });
  if (s.kind !== 'url') throw new Error(`expected a URL source for ${spec}`);
  return s;
};

describe('resolveModelSource', () => {
  it('maps hf: specs to the Hub resolve URL, main by default', () => {
    expect(remote('hf:TheBloke/Repo-GGUF/model.Q4_K_M.gguf').url).toBe('https://huggingface.co/TheBloke/Repo-GGUF/resolve/main/model.Q4_K_M.gguf');
    expect(remote('hf:user/repo/sub/dir/f.gguf@v1.0', 'http://127.0.0.1:9/').url).toBe('http://127.0.0.1:9/user/repo/resolve/v1.0/sub/dir/f.gguf');
    // A revision with slashes is quoted whole, as huggingface_hub does.
    expect(remote('hf:user/repo/f.gguf@refs/pr/1').url).toBe('https://huggingface.co/user/repo/resolve/refs%2Fpr%2F1/f.gguf');
  });

  it('refuses malformed hf: specs with the expected shape', () => {
    for (const spec of ['hf:user/repo', 'hf:user//f.gguf', 'hf:user/repo/f.gguf@', 'hf:user/repo/../f.gguf']) {
      expect(() => resolveModelSource(spec, { modelsDir })).toThrow('expected hf:<user>/<repo>/<path/to/file.gguf>[@revision]');
    }
  });

  it('takes a #sha256 pin off the URL and refuses any other fragment', () => {
    const hex = 'AB'.repeat(32);
    expect(remote(`https://example.com/m.gguf#sha256=${hex}`)).toMatchObject({ url: 'https://example.com/m.gguf', sha256: hex.toLowerCase() });
    expect(remote(`hf:u/r/m.gguf@dev#sha256=${hex}`)).toMatchObject({ url: 'https://huggingface.co/u/r/resolve/dev/m.gguf', sha256: hex.toLowerCase() });
    expect(() => resolveModelSource('https://example.com/m.gguf#md5=00', { modelsDir })).toThrow('expected #sha256=<64 hex digits>');
  });

  it('names downloads so that two sources never share a file', () => {
    const a = remote('https://a.example/x/model.gguf');
    const b = remote('https://b.example/x/model.gguf');
    expect(a.dest).toMatch(new RegExp(`^${modelsDir}/[0-9a-f]{12}-model\\.gguf$`));
    expect(b.dest).not.toBe(a.dest);
    expect(remote('https://a.example/x/model.gguf').dest).toBe(a.dest);
    expect(remote(`https://a.example/x/model.gguf#sha256=${'0'.repeat(64)}`).dest).not.toBe(a.dest);
    expect(remote('https://a.example/weird%20name%2F..%2Fx.gguf').dest).toMatch(/-weird_name_.._x\.gguf$/);
    expect(remote('https://a.example/').dest).toMatch(/-model\.gguf$/);
  });

  it('treats everything else as a local path, relative to the working directory', () => {
    expect(resolveModelSource('models/m.gguf', { modelsDir })).toEqual({ kind: 'local', path: resolve('models/m.gguf') });
    expect(resolveModelSource('/abs/m.gguf', { modelsDir })).toEqual({ kind: 'local', path: '/abs/m.gguf' });
    expect(resolveModelSource(pathToFileURL(join('/abs', 'a b.gguf')).href, { modelsDir })).toEqual({ kind: 'local', path: '/abs/a b.gguf' });
    expect(() => resolveModelSource('s3://bucket/m.gguf', { modelsDir })).toThrow('unsupported model source "s3://bucket/m.gguf"');
  });
});
