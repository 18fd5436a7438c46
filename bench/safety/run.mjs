#!/usr/bin/env node
// Bench for the built-in safety classifier, on the TEST split only (sha256(text)[0] % 5 === 0,
// see data.mjs). Usage: node bench/safety/run.mjs   (no build needed: it transpiles src/).
//
// Harm P/R/F1: "detected" = severity >= low (the head's max-F1 threshold from TRAIN); the
// ">=medium" columns use the default blocking policy. Per dataset, a category's negatives are:
//   moderation: rows where that label is known and 0; ToxiGen: neutral sentences (hate only);
//   SimpleSafetyTests: the Scams/Illegal-items rows, which map to no Azure category (other harm
//   areas are left out of a category's negatives, e.g. a suicide prompt may well be violent too).

import { performance } from 'node:perf_hooks';
import { importClassifierModule } from './load-src.mjs';
import {
  insertAttack, loadBipia, loadCyberSecEval, loadJackhhao, loadModeration, loadSst, loadToxigen,
  loadXstest, rng,
} from './data.mjs';

const { loadBuiltInClassifier } = await importClassifierModule('index.js');
const t0 = performance.now();
const clf = loadBuiltInClassifier();
const loadMs = performance.now() - t0;
const test = (rows) => rows.filter((r) => r.split === 'test');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');
const pct = (a, b) => `${a}/${b} = ${((100 * a) / b).toFixed(1)}%`;

// ------------------------------------------------------------------ harm categories
/** cases: {text, cat, y} ; returns rows for the table. */
function prf(cases, minLevel) {
  let tp = 0, fp = 0, fn = 0;
  for (const c of cases) {
    const hit = c.res[c.cat].level >= minLevel;
    if (hit && c.y) tp++; else if (hit) fp++; else if (c.y) fn++;
  }
  const p = tp / (tp + fp), r = tp / (tp + fn);
  return { p, r, f1: (2 * p * r) / (p + r), pos: tp + fn, n: cases.length };
}
const cases = [];
const add = (dataset, text, cat, y) => cases.push({ dataset, text, cat, y, res: null });
for (const r of test(loadModeration())) {
  const L = r.labels;
  const lab = (a, b) => (a in L || b in L ? (L[a] === 1 || L[b] === 1 ? 1 : 0) : undefined);
  for (const [cat, y] of [['hate', lab('H', 'H2')], ['sexual', lab('S', 'S3')], ['violence', lab('V', 'V2')], ['self_harm', lab('SH', 'SH')]]) {
    if (y !== undefined) add('moderation', r.text, cat, y);
  }
}
for (const r of test(loadToxigen())) add('toxigen', r.text, 'hate', r.hate ? 1 : 0);
const sst = test(loadSst());
for (const cat of ['sexual', 'violence', 'self_harm']) {
  for (const r of sst) if (r.category === cat || r.category === null) add('sst', r.text, cat, r.category === cat ? 1 : 0);
}
const memo = new Map();
const run = (t) => memo.get(t) ?? memo.set(t, clf.classify(t)).get(t);
for (const c of cases) c.res = run(c.text);

console.log('## Harm categories (TEST split). detected = severity >= low; policy = severity >= medium');
console.log('| dataset | category | n | pos | P | R | F1 | P@>=med | R@>=med | F1@>=med |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const ds of ['moderation', 'toxigen', 'sst', 'ALL']) {
  for (const cat of ['hate', 'sexual', 'violence', 'self_harm']) {
    const sel = cases.filter((c) => c.cat === cat && (ds === 'ALL' || c.dataset === ds));
    if (!sel.length) continue;
    const a = prf(sel, 2), m = prf(sel, 4);
    console.log(`| ${ds} | ${cat} | ${a.n} | ${a.pos} | ${f3(a.p)} | ${f3(a.r)} | ${f3(a.f1)} | ${f3(m.p)} | ${f3(m.r)} | ${f3(m.f1)} |`);
  }
}

// ------------------------------------------------------------------ XSTest
const xs = test(loadXstest());
const flagged = (r) => ['hate', 'sexual', 'violence', 'self_harm'].some((c) => run(r.text)[c].level >= 4);
const xsSafe = xs.filter((r) => r.label === 'safe');
const xsUnsafe = xs.filter((r) => r.label === 'unsafe' && r.type !== 'contrast_privacy');
console.log('\n## XSTest (TEST split), default policy: any harm severity >= medium blocks');
console.log(`safe prompts flagged (goal <= 8%): ${pct(xsSafe.filter(flagged).length, xsSafe.length)}`);
console.log(`unsafe contrast prompts (excl. privacy) flagged: ${pct(xsUnsafe.filter(flagged).length, xsUnsafe.length)}`);

// ------------------------------------------------------------------ jailbreak
const jb = test(loadJackhhao());
const cse = test(loadCyberSecEval());
const det = (t) => run(t).jailbreak.detected;
const jbPos = jb.filter((r) => r.jailbreak), jbNeg = jb.filter((r) => !r.jailbreak);
const csePos = cse.filter((r) => r.type === 'direct');
const tp = jbPos.filter((r) => det(r.text)).length + csePos.filter((r) => det(r.text)).length;
console.log('\n## Jailbreak (TEST split; threshold fixed on TRAIN out-of-fold scores for benign FPR <= 0.02)');
console.log(`TPR all (goal >= 0.90): ${pct(tp, jbPos.length + csePos.length)}`);
console.log(`  TPR jackhhao jailbreak: ${pct(jbPos.filter((r) => det(r.text)).length, jbPos.length)}`);
console.log(`  TPR CyberSecEval direct: ${pct(csePos.filter((r) => det(r.text)).length, csePos.length)}`);
console.log(`FPR jackhhao benign (goal <= 0.03): ${pct(jbNeg.filter((r) => det(r.text)).length, jbNeg.length)}`);

// ------------------------------------------------------------------ indirect attack
const { emails, attacks } = loadBipia();
const tEmails = test(emails), tAttacks = test(attacks).filter((a) => a.kind === 'text');
const docs = [];
for (const a of tAttacks) for (const e of tEmails) for (const pos of ['start', 'middle', 'end']) docs.push(insertAttack(e.text, a.text, pos));
const ia = (t) => clf.detectIndirectAttack(t).detected;
console.log('\n## Indirect attack (TEST split): BIPIA test text attacks x test emails x {start,middle,end}');
console.log(`TPR injected emails: ${pct(docs.filter(ia).length, docs.length)}`);
for (const pos of ['start', 'middle', 'end']) {
  const sub = docs.filter((_, i) => i % 3 === ['start', 'middle', 'end'].indexOf(pos));
  console.log(`  TPR ${pos.padEnd(6)}: ${pct(sub.filter(ia).length, sub.length)}`);
}
console.log(`FPR clean emails: ${pct(tEmails.filter((e) => ia(e.text)).length, tEmails.length)}`);
const cseInd = cse.filter((r) => r.type === 'indirect');
console.log(`TPR CyberSecEval indirect: ${pct(cseInd.filter((r) => ia(r.text)).length, cseInd.length)}`);

// ------------------------------------------------------------------ latency
// Texts of varied length (60 B .. 8 KB) cut from TEST rows of every set; classify() is timed per
// call (it includes the document segment pass), then divided by the UTF-8 size in KB.
const pool = [...xs, ...jb, ...test(loadModeration()), ...tEmails].map((r) => r.text);
const r = rng(7);
const texts = [];
for (let i = 0; i < 3000; i++) {
  let t = pool[Math.floor(r() * pool.length)];
  const want = Math.floor(60 * Math.pow(8192 / 60, r()));
  while (t.length < want) t += '\n' + pool[Math.floor(r() * pool.length)];
  texts.push(t.slice(0, want));
}
for (const t of texts.slice(0, 300)) clf.classify(t); // warm-up (JIT)
const perKb = [], perCall = [];
for (const t of texts) {
  const a = performance.now();
  clf.classify(t);
  const ms = performance.now() - a;
  perCall.push(ms);
  perKb.push(ms / Math.max(Buffer.byteLength(t) / 1024, 0.0625)); // texts < 64 B count as 64 B
}
const q = (arr, p) => arr.slice().sort((a, b) => a - b)[Math.min(arr.length - 1, Math.floor(p * arr.length))];
console.log(`\n## Latency (classify, ${texts.length} texts, 60 B - 8 KB, Node ${process.version})`);
console.log(`per KB: p50 ${q(perKb, 0.5).toFixed(4)} ms, p99 ${q(perKb, 0.99).toFixed(4)} ms (goal p99 <= 1 ms/KB)`);
console.log(`per call: p50 ${q(perCall, 0.5).toFixed(4)} ms, p99 ${q(perCall, 0.99).toFixed(4)} ms; weights decode ${loadMs.toFixed(1)} ms`);
