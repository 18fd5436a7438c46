// One load run with autocannon (programmatic), plus what autocannon does not give:
//   - latency with sub-millisecond resolution. autocannon's own histogram has a 1 ms floor
//     (lowestDiscernibleValue: 1), too coarse for a ≤ 1 ms overhead goal, so each 2xx
//     response's duration (hrtime, as autocannon measures it) is kept here;
//   - time to first byte: from the moment a request is written to the first body bytes of its
//     answer (for SSE, the first event), read from the same clients under the same load, so it
//     is comparable with the latency beside it. Headers alone do not count.
// Requests/s counts 2xx answers only; everything else is reported as errors.

import autocannon from 'autocannon';

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `connections` keep-alive connections for `durationS` seconds against one request.
 * With `record` false (a warm-up) only the counts are returned.
 */
export async function load({ url, headers, body, connections, durationS, record = true }) {
  const latencies = [];
  const ttfbs = [];
  const setupClient = (client) => {
    let sentAt = 0;
    let ttfb = -1;
    // With pipelining 1 a client has one request in flight: 'request' is emitted just
    // before it is written, 'body' for each parsed body chunk, 'response' when it completes.
    client.on('request', () => {
      sentAt = performance.now();
      ttfb = -1;
    });
    client.on('body', () => {
      if (ttfb < 0) ttfb = performance.now() - sentAt;
    });
    client.on('response', (status, _bytes, durationMs) => {
      if (status < 200 || status >= 300) return;
      latencies.push(durationMs);
      if (ttfb >= 0) ttfbs.push(ttfb);
    });
  };
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    connections,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
    ...(record ? { setupClient } : {}),
  });
  latencies.sort((a, b) => a - b);
  ttfbs.sort((a, b) => a - b);
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    errors: result.non2xx + result.errors + result.timeouts,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ttfb50: percentile(ttfbs, 50),
    ttfb99: percentile(ttfbs, 99),
  };
}
