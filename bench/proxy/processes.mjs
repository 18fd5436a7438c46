// Child processes of a bench, and what /proc says about them. Every child is stopped at the
// end, also when the bench throws or is interrupted: a server left running would skew the next
// run and hold its port. Shared with bench/embedded (no dependency beyond Node).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const children = new Set();

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Starts a child with piped output. The output is always drained (a full pipe would block the
 * child mid-benchmark) and its tail kept for error messages.
 */
export function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.benchName = name;
  let tail = '';
  const keep = (d) => {
    tail = (tail + d).slice(-8192);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.outputTail = () => tail;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
export function waitForOutput(child, pattern, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`${child.benchName}: no ${pattern} after ${timeoutMs} ms:\n${child.outputTail()}`)), timeoutMs);
    const onData = (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) done(null, m);
    };
    const onExit = (code, signal) => done(new Error(`${child.benchName} exited (${code ?? signal}) before it was ready:\n${child.outputTail()}`));
    function done(err, m) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stop(child, graceMs = 10_000) {
  if (!alive(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  if ((await Promise.race([exited.then(() => true), sleep(graceMs, false, { ref: false })])) === false && alive(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

// Last resort: an uncaught error or Ctrl-C of the bench still takes its servers down.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopAll().finally(() => process.exit(130));
  });
}

async function status(pid) {
  return readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
}

/** Resident set size of one process in KiB (VmRSS), 0 if it is gone. */
export async function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(await status(pid))?.[1] ?? 0);
}

/** The kernel's high-water mark of the resident set since the process started (VmHWM), KiB. */
export async function hwmKiB(pid) {
  return Number(/VmHWM:\s+(\d+)/.exec(await status(pid))?.[1] ?? 0);
}

/** The process and its children, recursively (a model process of the llama backend). */
export async function treeRssKiB(pid) {
  let total = await rssKiB(pid);
  const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
  for (const kid of kids) total += await treeRssKiB(Number(kid));
  return total;
}

// USER_HZ is 100 on every Linux build Node supports; /proc/<pid>/stat counts in those ticks.
const TICK_MS = 10;

/** User + system CPU time of one process in ms (/proc/<pid>/stat fields 14 and 15). */
export async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name (field 2) may hold spaces; fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * TICK_MS;
}

/** CPU time of a process and its children, recursively (ms). */
export async function treeCpuMs(pid) {
  let total = await cpuMs(pid);
  const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
  for (const kid of kids) total += await treeCpuMs(Number(kid));
  return total;
}

/**
 * Samples a process tree's RSS every `everyMs` until stopped; returns the peak in KiB. The
 * kernel's VmHWM is a peak since start (warm-up and earlier runs included), so a run's own
 * peak has to be sampled.
 */
export function watchRss(pid, everyMs = 100) {
  let peak = 0;
  let reading = false;
  const timer = setInterval(async () => {
    if (reading) return;
    reading = true;
    peak = Math.max(peak, await treeRssKiB(pid));
    reading = false;
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      return Math.max(peak, await treeRssKiB(pid));
    },
  };
}

/** Busy and total CPU time of the whole machine, in ticks (/proc/stat, all cores). */
export async function machineTicks() {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const t = first.trim().split(/\s+/).slice(1).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  return { busy: total - t[3] - t[4], total }; // idle and iowait are fields 4 and 5
}

/**
 * How busy the machine is with nothing of the bench running, in % of all cores: other work on
 * a shared machine takes CPU from every target alike, and the figures should say so.
 */
export async function backgroundBusyPct(ms = 1000) {
  const a = await machineTicks();
  await sleep(ms);
  const b = await machineTicks();
  return (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}
