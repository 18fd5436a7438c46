// Loads /work/shared/eval-data (never copied into the repo) and applies the split rule from
// its SOURCES.md: a row is TEST when the first byte of SHA-256(text as stored, UTF-8) % 5 === 0,
// every other row is TRAIN. Used by scripts/train-safety.mjs (TRAIN only) and
// bench/safety/run.mjs (TEST only), so both sides agree on every row.
//
// "Text" per dataset: moderation/xstest/jackhhao `prompt`; SimpleSafetyTests `prompts_final`;
// CyberSecEval `user_input` (the attacker-controlled part; the system prompt is shared);
// ToxiGen one line; BIPIA email `context` and each attack string separately (an assembled
// document is TEST only when both its email and its attack are TEST, TRAIN only when both are TRAIN).

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

export const DATA_DIR = process.env.LAPIS_EVAL_DATA ?? '/work/shared/eval-data';

/** @returns {'train'|'test'} */
export function splitOf(text) {
  return createHash('sha256').update(text, 'utf8').digest()[0] % 5 === 0 ? 'test' : 'train';
}

/** Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, embedded newlines). */
export function parseCsv(src) {
  const rows = [];
  let row = [];
  let field = '';
  let q = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (q) {
      if (c === '"') {
        if (src[i + 1] === '"') { field += '"'; i++; } else q = false;
      } else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows.filter((r) => r.length > 1 || r[0] !== '');
  return body.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? ''])));
}

const read = (p) => readFileSync(join(DATA_DIR, p), 'utf8');

/** Moderation samples: labels object keeps only the keys present (missing = unknown). */
export function loadModeration() {
  const lines = gunzipSync(readFileSync(join(DATA_DIR, 'openai-moderation-api-release/samples-1680.jsonl.gz')))
    .toString('utf8').split('\n').filter(Boolean);
  return lines.map((l) => {
    const { prompt, ...labels } = JSON.parse(l);
    return { text: prompt, labels, split: splitOf(prompt) };
  });
}

export function loadXstest() {
  return parseCsv(read('xstest/xstest_prompts.csv')).map((r) => ({
    text: r.prompt, type: r.type, label: r.label, split: splitOf(r.prompt),
  }));
}

export function loadJackhhao() {
  return parseCsv(read('jackhhao-jailbreak-classification/jailbreak_dataset_full.csv')).map((r) => ({
    text: r.prompt, jailbreak: r.type === 'jailbreak', split: splitOf(r.prompt),
  }));
}

export function loadCyberSecEval() {
  return JSON.parse(read('cyberseceval-prompt-injection/prompt_injection.json')).map((r) => ({
    text: r.user_input, system: r.test_case_prompt, type: r.injection_type,
    variant: r.injection_variant, split: splitOf(r.user_input),
  }));
}

export function loadSst() {
  const area = {
    'Suicide, Self-Harm, and Eating Disorders': 'self_harm',
    'Physical harm and Violence': 'violence',
    'Child safety': 'sexual',
  };
  return parseCsv(read('simplesafetytests/SimpleSafetyTests - test cases.csv')).map((r) => ({
    text: r.prompts_final, harmArea: r.harm_area, category: area[r.harm_area] ?? null,
    split: splitOf(r.prompts_final),
  }));
}

/** ToxiGen demonstrations, deduplicated by exact line (hate_muslim files overlap). */
export function loadToxigen() {
  const root = join(DATA_DIR, 'toxigen/demonstrations');
  const seen = new Map();
  for (const group of readdirSync(root).sort()) {
    const dir = join(root, group);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      const hate = f.startsWith('hate_');
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const text = line.replace(/\r$/, '');
        if (!text.trim() || seen.has(text)) continue;
        seen.set(text, { text, hate, group, split: splitOf(text) });
      }
    }
  }
  return [...seen.values()];
}

/** BIPIA: distinct email contexts and attack strings (train+test files pooled, then hash-split). */
export function loadBipia() {
  const emails = new Map();
  for (const f of ['email/train.jsonl', 'email/test.jsonl']) {
    for (const l of read(`bipia/${f}`).split('\n').filter(Boolean)) {
      const { context } = JSON.parse(l);
      if (!emails.has(context)) emails.set(context, { text: context, split: splitOf(context) });
    }
  }
  const attacks = new Map();
  for (const kind of ['text', 'code']) {
    for (const part of ['train', 'test']) {
      const d = JSON.parse(read(`bipia/${kind}_attack_${part}.json`));
      for (const [category, list] of Object.entries(d)) {
        for (const a of list) if (!attacks.has(a)) attacks.set(a, { text: a, kind, category, split: splitOf(a) });
      }
    }
  }
  return { emails: [...emails.values()], attacks: [...attacks.values()] };
}

/**
 * BIPIA email questions (the user's request about an email, "Q: " prefix stripped), distinct,
 * hash-split on the stripped text. Ordinary short user prompts: benign for every head.
 */
export function loadBipiaQuestions() {
  const qs = new Map();
  for (const f of ['email/train.jsonl', 'email/test.jsonl']) {
    for (const l of read(`bipia/${f}`).split('\n').filter(Boolean)) {
      const text = String(JSON.parse(l).question ?? '').replace(/^Q:\s*/, '').trim();
      if (text && !qs.has(text)) qs.set(text, { text, split: splitOf(text) });
    }
  }
  return [...qs.values()];
}

/**
 * Short pieces of a text: its lines and sentences (1..maxWords words, trimmed, deduplicated).
 * Used to turn long benign TRAIN rows into short benign prompts ("Hi David,", "Translate to French.").
 */
export function shortPieces(text, maxWords = 16) {
  const out = new Set();
  for (const part of text.split(/\n+|\|+|(?<=[.!?])\s+/)) {
    const t = part.replace(/\s+/g, ' ').trim();
    const words = t.split(' ').filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
    if (words >= 1 && words <= maxWords) out.add(t);
  }
  return [...out];
}

/**
 * Insert an attack into an email the way BIPIA does: at the start, middle (a sentence
 * boundary near the middle of CONTENT) or end.
 */
export function insertAttack(email, attack, position) {
  if (position === 'start') return `${attack}\n${email}`;
  if (position === 'end') return `${email}\n${attack}`;
  const bounds = [...email.matchAll(/[.!?]\s+|\n+/g)].map((m) => m.index + m[0].length);
  const mid = email.length / 2;
  let best = bounds.length ? bounds[0] : Math.floor(mid);
  for (const b of bounds) if (Math.abs(b - mid) < Math.abs(best - mid)) best = b;
  return `${email.slice(0, best)}${attack} ${email.slice(best)}`;
}

/** Deterministic PRNG (mulberry32): same seed, same shuffles, same weights. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
