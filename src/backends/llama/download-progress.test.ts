import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatBytes } from './download-progress.js';

function capture(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: Buffer[] = [];
  const s = Object.assign(new PassThrough(), { isTTY, columns: 120, text: () => Buffer.concat(chunks).toString('utf8') });
  s.on('data', (c: Buffer) => chunks.push(c));
  return s;
}

const total = 4 * 1024 * 1024;

describe('createProgressReporter', () => {
  it('prints a few plain lines when the stream is not a terminal', () => {
    const out = capture(false);
    const r = createProgressReporter(out, { label: 'm.gguf' });
    for (let got = 0; got <= total / 2; got += 64 * 1024) r.onProgress({ receivedBytes: got, totalBytes: total, resumedFrom: 0 });
    // A cut connection: the next response resumes from what reached the disk.
    for (let got = total / 2 - 65536; got <= total; got += 64 * 1024) r.onProgress({ receivedBytes: got, totalBytes: total, resumedFrom: total / 2 - 65536 });
    r.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/, [\d.]+ \w+\/s$/, ''))).toEqual([
      'downloading m.gguf (4.00 MiB)',
      '  25% 1.00 MiB / 4.00 MiB',
      '  50% 2.00 MiB / 4.00 MiB',
      '  retrying from 1.94 MiB',
      '  75% 3.00 MiB / 4.00 MiB',
      '  100% 4.00 MiB / 4.00 MiB',
    ]);
    expect(out.text()).not.toContain('\x1b[');
  });

  it('says where a download of unknown size ended', () => {
    const out = capture(false);
    const r = createProgressReporter(out);
    r.onProgress({ receivedBytes: 0, resumedFrom: 0 });
    r.onProgress({ receivedBytes: 1500, resumedFrom: 0 });
    r.stop();
    expect(out.text()).toBe('downloading model\n  1.46 KiB received\n');
  });

  it('draws a bar with bytes, total, speed and ETA on a terminal', () => {
    const out = capture(true);
    const r = createProgressReporter(out, { label: 'm.gguf' });
    r.onProgress({ receivedBytes: total / 4, totalBytes: total, resumedFrom: total / 4 });
    r.onProgress({ receivedBytes: total, totalBytes: total, resumedFrom: total / 4 });
    r.stop();
    const text = out.text();
    expect(text).toMatch(/m\.gguf \[[^\]]+\] 100% \| 4\.00 MiB \/ 4\.00 MiB \| ([\d.]+ \w+\/s)? \| ETA 0s/);
    expect(text).toContain('\x1b[?25h'); // the cursor is given back
  });

  it('formats sizes in binary units', () => {
    expect([0, 1023, 1024, 10 * 1024 ** 2, 5.5 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.00 KiB', '10.0 MiB', '5.50 GiB']);
  });
});
