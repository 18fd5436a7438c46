// Progress of a model download for the CLI: a live bar on a terminal, and on anything else (CI
// logs, files) a handful of plain lines, since a redrawn bar there is a wall of control codes.
import cliProgress from 'cli-progress';
import type { DownloadProgress } from './download.js';

export interface ProgressReporter {
  onProgress: (progress: DownloadProgress) => void;
  /** Ends the bar (restores the cursor); call it whether the download succeeded or not. */
  stop: () => void;
}

type Output = NodeJS.WritableStream & { isTTY?: boolean };

export function createProgressReporter(stream: Output = process.stderr, options: { label?: string } = {}): ProgressReporter {
  const label = options.label ?? 'model';
  return stream.isTTY ? barReporter(stream, label) : lineReporter(stream, label);
}

function barReporter(stream: Output, label: string): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let speed = speedMeter();
  let last: DownloadProgress | undefined;
  return {
    onProgress(p) {
      if (last && (p.resumedFrom !== last.resumedFrom || p.receivedBytes < last.receivedBytes)) speed = speedMeter();
      last = p;
      const payload = { received: formatBytes(p.receivedBytes), size: p.totalBytes === undefined ? '?' : formatBytes(p.totalBytes), speed: speed(p) };
      if (!bar) {
        const known = p.totalBytes !== undefined;
        bar = new cliProgress.SingleBar({
          stream,
          format: known
            ? `${label} [{bar}] {percentage}% | {received} / {size} | {speed} | ETA {eta_formatted}`
            : `${label} {received} | {speed}`,
          hideCursor: true,
          // Model files are big and links bursty: average the ETA over more samples than the default 10.
          etaBuffer: 50,
          fps: 5,
        });
        bar.start(p.totalBytes ?? 0, p.receivedBytes, payload);
        return;
      }
      if (p.totalBytes !== undefined && p.totalBytes !== bar.getTotal()) bar.setTotal(p.totalBytes);
      bar.update(p.receivedBytes, payload);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Lines at the start, at each quarter, on every retry, and at the end; or every 30 s when the size is unknown. */
function lineReporter(stream: Output, label: string): ProgressReporter {
  let last: DownloadProgress | undefined;
  let speed = speedMeter();
  let nextQuarter = 1;
  let lastLineAt = 0;
  const say = (line: string): void => {
    stream.write(`${line}\n`);
    lastLineAt = Date.now();
  };
  return {
    onProgress(p) {
      const total = p.totalBytes;
      if (!last) {
        say(`downloading ${label}${total === undefined ? '' : ` (${formatBytes(total)})`}${p.resumedFrom > 0 ? `, resuming at ${formatBytes(p.resumedFrom)}` : ''}`);
      } else if (p.resumedFrom !== last.resumedFrom || p.receivedBytes < last.receivedBytes) {
        say(`  retrying from ${formatBytes(p.resumedFrom)}`);
        speed = speedMeter();
      }
      last = p;
      const rate = speed(p);
      if (total === undefined || total === 0) {
        if (Date.now() - lastLineAt >= 30_000) say(`  ${formatBytes(p.receivedBytes)}${rate && `, ${rate}`}`);
        return;
      }
      const quarter = Math.floor((p.receivedBytes / total) * 4);
      if (quarter >= nextQuarter) {
        nextQuarter = quarter + 1;
        say(`  ${quarter * 25}% ${formatBytes(p.receivedBytes)} / ${formatBytes(total)}${rate && `, ${rate}`}`);
      }
    },
    stop() {
      // With an unknown size no quarter line marks the end, so say where it stopped.
      if (last && (last.totalBytes === undefined || last.totalBytes === 0)) say(`  ${formatBytes(last.receivedBytes)} received`);
      last = undefined;
    },
  };
}

/** Bytes per second over this response (a resumed prefix is not speed); '' before time has passed. */
function speedMeter(): (p: DownloadProgress) => string {
  const startedAt = Date.now();
  return (p) => {
    const seconds = (Date.now() - startedAt) / 1000;
    return seconds > 0 ? `${formatBytes((p.receivedBytes - p.resumedFrom) / seconds)}/s` : '';
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} ${units[0]}` : `${n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}
