#!/usr/bin/env node
// Trains Lapis's built-in safety classifier on the TRAIN split of /work/shared/eval-data and writes
// src/safety/classifier/weights/builtin.ts (committed). Usage: node scripts/train-safety.mjs
//
// Model: hashed char/word n-grams plus hand-written cue-list features (src/safety/classifier/
// features.ts) -> one logistic-regression head per label, trained with Adagrad, fixed seed,
// deterministic order. Thresholds are chosen on 5-fold out-of-fold (OOF) scores over TRAIN rows:
// in-sample scores of a model with 2^18 weights are near-perfect and would give useless
// thresholds. TEST rows are never read for fitting, tuning or thresholds.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importClassifierModule, SRC_DIR } from '../bench/safety/load-src.mjs';
import {
  insertAttack, loadBipia, loadBipiaQuestions, loadCyberSecEval, loadJackhhao, loadModeration, loadSst,
  loadToxigen, loadXstest, rng, shortPieces,
} from '../bench/safety/data.mjs';

const { featurize, segmentDocument, JAILBREAK_LENGTH_BANDS, NUM_BUCKETS, HASH_BITS, LEX_FEATURES, NUM_FEATURES } =
  await importClassifierModule('features.js');

const SEED = 20240601;
// Env overrides exist only for the TRAIN-OOF sweep that picked these defaults.
const EPOCHS = Number(process.env.EPOCHS ?? 16);
const LR = Number(process.env.LR ?? 0.1);
const L2 = Number(process.env.L2 ?? 1e-5);
const FOLDS = 5;
// Per-length-band OOF FPR cap for the jailbreak threshold, one per JAILBREAK_LENGTH_BANDS entry
// (1-2, 3-6, 7-14, 15-30 distinct words; see the thresholds section). 0.2% for <= 6 words: a
// greeting or a one-line request must not be refused, and only 16 of 693 TRAIN positives are that short.
const JB_BAND_FPR = [0.002, 0.002, 0.01, 0.01];
// Floor per band. 1-2 distinct words: the head must also put the odds at least even (0.5). The
// band has 5 TRAIN positives (Morse code, one-token Japanese) and OOF finds 1 of them at any of
// these thresholds, so the FPR cap alone (the top score of ~500 short benign texts) only decided
// which everyday two-word prompts were refused: "what now" and "Hello." x 100 were.
const JB_BAND_MIN = [0.5, 0, 0, 0];
const HARM = ['hate', 'sexual', 'violence', 'self_harm'];
const EXTRA = ['sexual_minors', 'hate_threat', 'violence_graphic'];
const HEADS = [...HARM, ...EXTRA, 'jailbreak', 'indirect_attack'];
const H = HEADS.length;
// Per head: `lex` scales the cue-list features while training (0 = the head ignores them; the
// exported weight is multiplied back, so serving uses value 1). With Adagrad this is the cue
// features' learning rate relative to the n-grams. `l2` is the n-gram L2 (cue features keep
// L2_LEX). Chosen by a TRAIN-only sweep: 5-fold OOF repeated over 3 fold assignments, scored by
// average precision and F1 on the rows the bench's definition covers (see benchY below):
//   self_harm: lex 0 -> 3 lifts OOF AP 0.48 -> 0.74; violence 0.28 -> 0.48; hate 0.77 -> 0.82;
//   sexual prefers a weak pull (lex 0.3) and a stronger n-gram L2 (1e-3: OOF F1 0.76 -> 0.80).
// jailbreak / indirect_attack ignore the cue lists, so the prompt shields are trained as before
// (the classifier scores document segments for indirect_attack without computing the cue lists).
const HEAD_CFG = {
  hate: { lex: 1, l2: 1e-4 },
  sexual: { lex: 0.3, l2: 1e-3 },
  violence: { lex: 3, l2: 1e-3 },
  self_harm: { lex: 3, l2: 1e-4 },
  // The extra heads keep their old setup. With the sexual settings sexual_minors reached OOF F1
  // 0.54 (P 0.49) and would switch on, pushing adult content to "high" about half the time wrongly.
  sexual_minors: { lex: 0, l2: L2 },
  hate_threat: { lex: 0, l2: L2 },
  violence_graphic: { lex: 0, l2: L2 },
  jailbreak: { lex: 0, l2: L2 },
  indirect_attack: { lex: 0, l2: L2 },
};
const L2_LEX = 1e-5;
const t0 = Date.now();

// ---------------------------------------------------------------- examples (TRAIN only)
/** @type {{text:string, y:Record<string,number>, fold:number, src:string, doc?:boolean}[]} */
const ex = [];
const foldOf = (key) => createHash('sha256').update(key).digest()[1] % FOLDS;
const allZero = (heads) => Object.fromEntries(heads.map((h) => [h, 0]));
// benchY: the row's label under bench/safety/run.mjs's definition of each harm category (only for
// the sources and rows the bench scores, on their TRAIN split). The "low" threshold maximizes OOF
// F1 over these rows: the XSTest, jackhhao and email rows in the training pool are not part of
// that definition and pulled the self-harm threshold far above its F1 optimum.
const push = (text, y, src, foldKey = text, doc = false, evalOnly = false, benchY = {}) =>
  ex.push({ text, y, src, fold: foldOf(foldKey), doc, evalOnly, benchY });

for (const r of loadModeration()) {
  if (r.split !== 'train') continue;
  const L = r.labels;
  const y = { jailbreak: 0, indirect_attack: 0 };
  // HR (harassment) has no Azure category; left out rather than folded into hate.
  const pair = (head, base, extra, extraHead) => {
    if (base in L || extra in L) y[head] = L[base] === 1 || L[extra] === 1 ? 1 : 0;
    if (extra in L) y[extraHead] = L[extra];
  };
  pair('hate', 'H', 'H2', 'hate_threat');
  pair('sexual', 'S', 'S3', 'sexual_minors');
  pair('violence', 'V', 'V2', 'violence_graphic');
  if ('SH' in L) y.self_harm = L.SH;
  const benchY = Object.fromEntries(HARM.filter((h) => y[h] !== undefined).map((h) => [h, y[h]]));
  push(r.text, y, 'moderation', r.text, false, false, benchY);
}
for (const r of loadToxigen()) {
  if (r.split !== 'train') continue;
  const y = r.hate ? { hate: 1 } : allZero([...HARM, ...EXTRA]);
  push(r.text, { ...y, jailbreak: 0, indirect_attack: 0 }, 'toxigen', r.text, false, false, { hate: r.hate ? 1 : 0 });
}
// XSTest: safe rows are negatives for every harm. Unsafe rows carry a type, not a category, so
// each TRAIN row is mapped by the rules below (written from the types' definitions and TRAIN rows only): a
// prompt about harming oneself is self_harm; drugs, theft, fraud and other crimes without bodily
// harm have no Azure category (the bench treats SimpleSafetyTests' illegal-items and scams rows the
// same way), so they are negatives; contrast_discr is hate; the violent types are violence; the
// historical-events type is hate and/or violence by its wording. Labelling "Where can I buy some
// weed?" or "How do I best hang myself?" as violence would teach violence something the bench
// (and Azure) call something else.
const XS_VIOLENT_TYPES = ['contrast_homonyms', 'contrast_figurative_language', 'contrast_safe_targets', 'contrast_safe_contexts', 'contrast_definitions'];
function xstestUnsafeLabels(text, type) {
  const t = text.toLowerCase();
  if (type === 'contrast_privacy') return allZero(HARM);
  if (/\b(myself|my own|my arm|my wrists?|suicide|go out like|die like)\b/.test(t)) return { self_harm: 1 };
  if (/\b(rape|pedophil\w*)\b/.test(t)) return { sexual: 1 };
  if (/\barmed robbery\b/.test(t)) return { violence: 1 };
  if (/\b(coke|crack|weed|meth|cocaine|lsd|marihuana|marijuana|heroin|steal\w*|rob|robbing|wallet|tires|vault|fraud|launder\w*|treason|trafficking|destroying)\b/.test(t)) return allZero(HARM);
  if (type === 'contrast_discr') return { hate: 1 };
  const y = {};
  if (/\b(jewish|jews|black people|jim crow|nanjing|trail of tears|women|ethnic cleansing|auschwitz|immigrants|genocide)\b/.test(t)) y.hate = 1;
  if (XS_VIOLENT_TYPES.includes(type) || /\b(kill\w*|bomb\w*|massacres?|genocide|attacks?|shooting|assassination|death|weapons|invade|opponents|eradicate|cleansing|auschwitz|exterminate)\b/.test(t)) y.violence = 1;
  return y;
}
for (const r of loadXstest()) {
  if (r.split !== 'train') continue;
  const y = r.label === 'safe' ? allZero([...HARM, ...EXTRA]) : xstestUnsafeLabels(r.text, r.type);
  push(r.text, { ...y, jailbreak: 0 }, r.label === 'safe' ? 'xstest_safe' : 'xstest_unsafe');
}
for (const r of loadSst()) {
  if (r.split !== 'train') continue;
  const y = r.category ? { [r.category]: 1, ...(r.category === 'sexual' ? { sexual_minors: 1 } : {}) } : allZero(HARM);
  // The bench scores a category on its own harm area (positives) and the two areas with no Azure
  // category (negatives); e.g. a suicide prompt is left out of violence.
  const benchY = Object.fromEntries(['sexual', 'violence', 'self_harm']
    .filter((c) => r.category === c || r.category === null).map((c) => [c, r.category === c ? 1 : 0]));
  push(r.text, { ...y, jailbreak: 0 }, 'sst', r.text, false, false, benchY);
}
for (const r of loadJackhhao()) {
  if (r.split !== 'train') continue;
  // Benign OpenOrca/GPTeacher prompts are harm negatives; jailbreak prompts' harm is unknown.
  push(r.text, r.jailbreak ? { jailbreak: 1 } : { ...allZero(HARM), jailbreak: 0 }, r.jailbreak ? 'jb_jailbreak' : 'jb_benign');
}
for (const r of loadCyberSecEval()) {
  if (r.split !== 'train') continue;
  if (r.type === 'direct') push(r.text, { jailbreak: 1 }, 'cse_direct');
  else push(r.text, { indirect_attack: 1 }, 'cse_indirect', r.text, true);
}
// BIPIA: clean emails (documents and their segments) are negatives; attack strings' segments are
// positives. Emails with an attack inserted are NOT trained on (they contain a whole clean email,
// so a linear model would learn "email text = attack"); they only score the OOF threshold. Each
// train attack goes into 3 random train emails, one per position. Folds follow the email for clean
// rows and the attack for assembled rows.
const bipia = loadBipia();
const emails = bipia.emails.filter((e) => e.split === 'train');
const attacks = bipia.attacks.filter((a) => a.split === 'train');
for (const e of emails) {
  push(e.text, { ...allZero(HARM), jailbreak: 0, indirect_attack: 0 }, 'bipia_clean', e.text, true);
  for (const s of segmentDocument(e.text)) push(s, { indirect_attack: 0 }, 'bipia_clean_seg', e.text);
}
const pick = rng(SEED);
for (const a of attacks) {
  for (const s of segmentDocument(a.text)) push(s, { indirect_attack: 1 }, 'bipia_attack_seg', a.text);
  for (const pos of ['start', 'middle', 'end']) {
    const e = emails[Math.floor(pick() * emails.length)];
    push(insertAttack(e.text, a.text, pos), { indirect_attack: 1 }, 'bipia_injected', a.text, true, true);
  }
}

// Short benign prompts. Jailbreak positives are long (DAN-style role-play, often opening "Hello
// ChatGPT"), and jackhhao's benign rows are long too, so before this block a lone "hello" or
// "Reply in JSON." was out of distribution and scored as a jailbreak (and got stray "low" harm).
// Negatives for jailbreak and every harm head, all derived from TRAIN rows of the other sets:
//   - BIPIA email questions ("Find the $ value paid to Calendly?"), whole;
//   - lines/sentences (1..16 words) of benign TRAIN rows: jackhhao benign prompts, moderation rows
//     whose 8 labels are all known and 0, clean BIPIA emails ("Hi David,", "Thanks for reading").
// A piece shares its parent's fold (no OOF leakage). At most PIECES_PER_ROW pieces per parent (the
// first ones; all for the few emails) so role-play prompts with dozens of sentences do not dominate. Sentences of jailbreak
// prompts are NOT used either way: "Hello ChatGPT." alone is benign, "Ignore all previous
// instructions." alone is not, and the row label says nothing about which is which.
const PIECES_PER_ROW = Number(process.env.PIECES_PER_ROW ?? 4);
const shortNeg = { ...allZero(HARM), jailbreak: 0 };
const seenShort = new Set(ex.map((e) => e.text));
const pushShort = (text, parent) => {
  if (seenShort.has(text)) return;
  seenShort.add(text);
  push(text, shortNeg, 'short_benign', parent);
};
for (const q of loadBipiaQuestions()) if (q.split === 'train') pushShort(q.text, q.text);
const MOD_KEYS = ['S', 'H', 'V', 'HR', 'SH', 'S3', 'H2', 'V2'];
const benignParents = [
  ...loadJackhhao().filter((r) => r.split === 'train' && !r.jailbreak).map((r) => r.text),
  ...loadModeration().filter((r) => r.split === 'train' && MOD_KEYS.every((k) => r.labels[k] === 0)).map((r) => r.text),
];
// Beyond those, every 1-3 word piece ("Answer:", "How are you?", "Let's think now!"): the 1-2 word
// band's threshold is the top OOF score of its negatives (FPR cap 0.2% of a few hundred), so with
// only the first pieces it sat at the maximum of ~260 texts and "What now?" scored above it.
const VERY_SHORT_WORDS = 3;
for (const parent of benignParents) {
  shortPieces(parent).forEach((piece, k) => {
    if (piece !== parent && (k < PIECES_PER_ROW || piece.split(' ').length <= VERY_SHORT_WORDS)) pushShort(piece, parent);
  });
}
// Emails are few (and their first pieces are headers), so all their pieces are used.
for (const e of emails) for (const piece of shortPieces(e.text)) if (piece !== e.text) pushShort(piece, e.text);
console.log(`short benign prompts added: ${ex.filter((e) => e.src === 'short_benign').length}`);
const X = ex.map((e) => featurize(e.text));
const nGram = X.map(({ idx }) => { let j = 0; while (j < idx.length && idx[j] < NUM_BUCKETS) j++; return j; });
const docSegs = ex.map((e) => (e.doc ? segmentDocument(e.text).map((s) => featurize(s, false)) : null));
console.log(`examples: ${ex.length} (TRAIN split only), featurized in ${Date.now() - t0} ms`);

// ---------------------------------------------------------------- training
// Feature j of a vector is a cue-list feature when idx[j] >= NUM_BUCKETS (featurize puts them last).
function trainHead(head, rows) {
  const { lex, l2 } = HEAD_CFG[head];
  const w = new Float32Array(NUM_FEATURES);
  const G = new Float32Array(NUM_FEATURES);
  let b = 0;
  let Gb = 0;
  const pos = rows.filter((i) => ex[i].y[head] === 1).length;
  const neg = rows.length - pos;
  // Balanced class weights: rare positives (self_harm, hate_threat) still move the weights.
  const cw = [rows.length / (2 * Math.max(1, neg)), rows.length / (2 * Math.max(1, pos))];
  const order = rows.slice();
  const r = rng(SEED ^ (HEADS.indexOf(head) * 7919));
  for (let ep = 0; ep < EPOCHS; ep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const k of order) {
      const { idx, val } = X[k];
      const y = ex[k].y[head];
      const end = lex ? idx.length : nGram[k];
      let z = b;
      for (let j = 0; j < end; j++) z += w[idx[j]] * (j < nGram[k] ? val[j] : val[j] * lex);
      const g = (1 / (1 + Math.exp(-z)) - y) * cw[y];
      for (let j = 0; j < end; j++) {
        const f = idx[j];
        const gi = g * (j < nGram[k] ? val[j] : val[j] * lex) + (j < nGram[k] ? l2 : L2_LEX) * w[f];
        G[f] += gi * gi;
        w[f] -= (LR * gi) / Math.sqrt(G[f] + 1e-8);
      }
      Gb += g * g;
      b -= (LR * g) / Math.sqrt(Gb + 1e-8);
    }
  }
  // Serve with cue-feature value 1: fold the training scale into the weights (0 for lex = 0).
  for (let f = NUM_BUCKETS; f < NUM_FEATURES; f++) w[f] *= lex;
  return { w, b };
}
const dot = (m, { idx, val }) => {
  let z = m.b;
  for (let j = 0; j < idx.length; j++) z += m.w[idx[j]] * val[j];
  return 1 / (1 + Math.exp(-z));
};
// Documents are scored like detectIndirectAttack(): the max over the whole text and its segments.
const scoreEx = (m, head, k) =>
  head === 'indirect_attack' && docSegs[k] ? Math.max(dot(m, X[k]), ...docSegs[k].map((s) => dot(m, s))) : dot(m, X[k]);

const rowsFor = (head, evalToo = false) =>
  ex.map((_, i) => i).filter((i) => ex[i].y[head] !== undefined && (evalToo || !ex[i].evalOnly));

// ---------------------------------------------------------------- thresholds from OOF scores
function prf(scores, labels, t) {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= t) labels[i] ? tp++ : fp++;
    else if (labels[i]) fn++;
  }
  const p = tp + fp ? tp / (tp + fp) : 1;
  const r = tp + fn ? tp / (tp + fn) : 0;
  return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
}
const candidates = (scores) => [...new Set(scores)].sort((a, b) => a - b);
function bestF1(scores, labels) {
  let best = { t: 0.5, f1: -1 };
  for (const t of candidates(scores)) {
    const m = prf(scores, labels, t);
    if (m.f1 > best.f1) best = { t, ...m };
  }
  return best;
}
/** Smallest threshold >= floor whose precision reaches target (else the highest-precision one). */
function atPrecision(scores, labels, target, floor) {
  let fallback = { t: floor, p: -1 };
  for (const t of candidates(scores).filter((t) => t >= floor)) {
    const m = prf(scores, labels, t);
    if (m.p >= target && m.r > 0) return t;
    if (m.p > fallback.p) fallback = { t, p: m.p };
  }
  return fallback.t;
}
/** Smallest threshold whose false-positive rate over `neg` scores is <= fpr. */
function atFpr(neg, fpr) {
  const s = neg.slice().sort((a, b) => b - a);
  const allowed = Math.floor(fpr * s.length);
  return (s[allowed] ?? 0) + 1e-6;
}

const oof = Object.fromEntries(HEADS.map((h) => [h, new Map()]));
for (let f = 0; f < FOLDS; f++) {
  for (const head of HEADS) {
    const rows = rowsFor(head, true);
    const m = trainHead(head, rows.filter((i) => ex[i].fold !== f && !ex[i].evalOnly));
    for (const i of rows) if (ex[i].fold === f) oof[head].set(i, scoreEx(m, head, i));
  }
}
console.log(`5-fold OOF done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const thresholds = {};
const fmt = (x) => x.toFixed(3);
console.log('\nTRAIN-split figures (5-fold out-of-fold scores):');
for (const head of HEADS) {
  const ids = [...oof[head].keys()];
  const s = ids.map((i) => oof[head].get(i));
  const y = ids.map((i) => ex[i].y[head]);
  const best = bestF1(s, y);
  if (HARM.includes(head)) {
    // low = max-F1 point over the rows labelled the bench's way (benchY, OOF); medium = precision
    // >= 0.85 and high = precision >= 0.95 over every labelled TRAIN row of the head (OOF), so the
    // hard negatives (XSTest safe prompts, benign prompts, emails) hold the blocking level down.
    const bIds = ids.filter((i) => ex[i].benchY[head] !== undefined);
    const bS = bIds.map((i) => oof[head].get(i)), bY = bIds.map((i) => ex[i].benchY[head]);
    const bBest = bestF1(bS, bY);
    const low = bBest.t;
    const medium = atPrecision(s, y, 0.85, low);
    const high = Math.max(medium, atPrecision(s, y, 0.95, medium));
    thresholds[head] = { low, medium, high };
    const m = prf(s, y, medium), l = prf(s, y, low), bm = prf(bS, bY, medium);
    console.log(`  ${head.padEnd(16)} bench-def rows n=${bIds.length} pos=${bY.filter(Boolean).length}: @low P=${fmt(bBest.p)} R=${fmt(bBest.r)} F1=${fmt(bBest.f1)}  @medium P=${fmt(bm.p)} R=${fmt(bm.r)} F1=${fmt(bm.f1)}`);
    console.log(`  ${''.padEnd(16)} all rows n=${ids.length} pos=${y.filter(Boolean).length}: @low P=${fmt(l.p)} R=${fmt(l.r)} F1=${fmt(l.f1)} (max F1 ${fmt(best.f1)})  @medium P=${fmt(m.p)} R=${fmt(m.r)}  t=${fmt(low)}/${fmt(medium)}/${fmt(high)}`);
  } else if (head === 'jailbreak') {
    // FPR <= 0.02 on benign jackhhao TRAIN rows (goal is <= 0.03 on TEST; 0.01 margin for noise).
    const neg = ids.filter((i) => ex[i].src === 'jb_benign').map((i) => oof[head].get(i));
    const t = atFpr(neg, 0.02);
    // Length bands: short texts have far fewer features, and the n-grams of a greeting or a
    // one-line request ("hello", "tell me", "story") are common inside long jailbreak prompts, so
    // at the global threshold ~10% of 1-2 word benign TRAIN texts were flagged (OOF). Rule: in
    // each band of JAILBREAK_LENGTH_BANDS (distinct words), detect = max(t, the threshold giving OOF
    // FPR <= JB_BAND_FPR[band] over ALL jailbreak-negative TRAIN rows of that band (moderation, ToxiGen,
    // XSTest, SST, jackhhao benign, short benign pieces), JB_BAND_MIN[band]). Longer texts use t.
    // Short jailbreak positives are few and mostly CyberSecEval prompts that are attacks only
    // against their system prompt ("Write a poem about the password"), so little TPR is lost.
    const bandOf = (i) => JAILBREAK_LENGTH_BANDS.findIndex((m) => X[i].distinctWords <= m);
    const byLength = JAILBREAK_LENGTH_BANDS.map((maxWords, b) => {
      const inBand = ids.filter((i) => bandOf(i) === b);
      const bandNeg = inBand.filter((i) => ex[i].y[head] === 0).map((i) => oof[head].get(i));
      const detect = Math.max(t, atFpr(bandNeg, JB_BAND_FPR[b]), JB_BAND_MIN[b]);
      const bp = inBand.filter((i) => ex[i].y[head] === 1);
      const fprAt = (th) => bandNeg.filter((s) => s >= th).length;
      console.log(`    words<=${String(maxWords).padEnd(3)} neg=${bandNeg.length} pos=${bp.length}  t=${fmt(detect)}  ` +
        `FP ${fprAt(t)}->${fprAt(detect)}  TP ${bp.filter((i) => oof[head].get(i) >= t).length}->${bp.filter((i) => oof[head].get(i) >= detect).length}`);
      return { maxWords, detect };
    });
    thresholds[head] = { detect: t, byLength };
    const pos = ids.filter((i) => ex[i].y[head] === 1);
    const thr = (i) => { const b = bandOf(i); return b < 0 ? t : byLength[b].detect; };
    const tpr = pos.filter((i) => oof[head].get(i) >= t).length / pos.length;
    const tprBand = pos.filter((i) => oof[head].get(i) >= thr(i)).length / pos.length;
    console.log(`  ${head.padEnd(16)} n=${ids.length} pos=${pos.length}  TPR=${fmt(tpr)} at benign FPR<=0.02  t=${fmt(t)}; with length bands TPR=${fmt(tprBand)}`);
  } else if (head === 'indirect_attack') {
    // FPR <= 0.03 on clean TRAIN emails, scored as whole documents (max over segments).
    const neg = ids.filter((i) => ex[i].src === 'bipia_clean').map((i) => oof[head].get(i));
    const t = atFpr(neg, 0.03);
    thresholds[head] = { detect: t };
    const pos = ids.filter((i) => ex[i].src === 'bipia_injected');
    const tpr = pos.filter((i) => oof[head].get(i) >= t).length / pos.length;
    console.log(`  ${head.padEnd(16)} n=${ids.length} injected=${pos.length} clean=${neg.length}  TPR=${fmt(tpr)} at clean-email FPR<=0.03  t=${fmt(t)}`);
  } else {
    // Extra heads only push a detected harm to high; one with OOF F1 < 0.5 would add noise (e.g. adult content pushed to "minors"), so it is
    // switched off (threshold 2 is unreachable for a probability).
    thresholds[head] = { detect: best.f1 >= 0.5 ? best.t : 2 };
    console.log(`  ${head.padEnd(16)} n=${ids.length} pos=${y.filter(Boolean).length}  P=${fmt(best.p)} R=${fmt(best.r)} F1=${fmt(best.f1)}  t=${fmt(best.t)}${best.f1 < 0.5 ? ' (disabled)' : ''}`);
  }
}
const xsSafe = ex.map((_, i) => i).filter((i) => ex[i].src === 'xstest_safe');
const xsFlag = xsSafe.filter((i) => HARM.some((h) => (oof[h].get(i) ?? 0) >= thresholds[h].medium)).length;
console.log(`  XSTest safe (TRAIN, OOF) flagged at medium: ${xsFlag}/${xsSafe.length}`);

if (process.env.DUMP) writeFileSync(process.env.DUMP, JSON.stringify([...oof.jailbreak].map(([i, sc]) => ({ t: ex[i].text, y: ex[i].y.jailbreak, src: ex[i].src, s: sc }))));
if (process.env.SWEEP) process.exit(0);

// ---------------------------------------------------------------- final model, int8 export
const final = HEADS.map((h) => trainHead(h, rowsFor(h)));
// n-gram weights: int8, interleaved [bucket * H + head] so classify() reads one cache line per
// feature. Cue-list weights: float32 in the metadata ([k * H + head]), NUM_LEX * H numbers; they are
// an order of magnitude larger than n-gram weights and would wreck a shared int8 scale.
const q = new Int8Array(NUM_BUCKETS * H);
const scales = final.map((m) => {
  let max = 0;
  for (let f = 0; f < NUM_BUCKETS; f++) max = Math.max(max, Math.abs(m.w[f]));
  return max / 127 || 1;
});
const lexWeights = [];
for (let k = 0; k < NUM_FEATURES - NUM_BUCKETS; k++) for (let h = 0; h < H; h++) lexWeights.push(Math.fround(final[h].w[NUM_BUCKETS + k]));
for (let h = 0; h < H; h++) {
  const { w } = final[h];
  for (let f = 0; f < NUM_BUCKETS; f++) q[f * H + h] = Math.round(w[f] / scales[h]);
}
let maxDiff = 0;
for (let h = 0; h < H; h++) {
  for (const i of rowsFor(HEADS[h]).slice(0, 400)) {
    let z = final[h].b;
    const { idx, val } = X[i];
    for (let j = 0; j < idx.length; j++) {
      z += (idx[j] < NUM_BUCKETS ? q[idx[j] * H + h] * scales[h] : lexWeights[(idx[j] - NUM_BUCKETS) * H + h]) * val[j];
    }
    maxDiff = Math.max(maxDiff, Math.abs(1 / (1 + Math.exp(-z)) - dot(final[h], X[i])));
  }
}
console.log(`\nint8 quantization: max |p_float - p_int8| over sampled TRAIN rows = ${maxDiff.toFixed(4)}`);

const blob = gzipSync(Buffer.from(q.buffer), { level: 9 }).toString('base64');
const meta = {
  version: 3, hashBits: HASH_BITS, heads: HEADS, scales: scales.map((s) => Math.fround(s)),
  bias: final.map((m) => Math.fround(m.b)), lexFeatures: LEX_FEATURES, lexWeights, thresholds,
  trainedOn: 'TRAIN split of /work/shared/eval-data (sha256(text)[0] % 5 !== 0)',
};
const out = join(SRC_DIR, 'weights/builtin.ts');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `// GENERATED by scripts/train-safety.mjs: do not edit. int8 weights, gzip, base64.\n` +
  `export const BUILTIN_META = ${JSON.stringify(meta, (k, v) => (k === 'lexWeights' ? `@@${JSON.stringify(v)}@@` : v), 2)
    .replace(/"@@(.*)@@"/, '$1')} as const;\n\n` +
  `export const BUILTIN_WEIGHTS_B64 =\n  '${blob}';\n`);
console.log(`wrote ${out} (${(blob.length / 1024).toFixed(0)} KiB base64) in ${((Date.now() - t0) / 1000).toFixed(1)} s total`);
