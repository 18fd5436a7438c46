// Hashed sparse features for the built-in safety classifier.
//
// This file has NO imports on purpose: scripts/train-safety.mjs and bench/safety/run.mjs
// transpile it on the fly, so training and serving share one featurizer byte for byte.
//
// Features:
//   - character 3/4/5-grams of the normalized text (robust to misspellings, "k1ll", inflections);
//   - word unigrams and bigrams (phrases such as "ignore previous", "kill myself");
//   - one coarse length bucket over DISTINCT words, weighted x4, so "the cat sat on the mat."
//     repeated 200 times reads as the short text it is, not as a 1,200-word prompt;
//   all hashed into 2^HASH_BITS buckets (no vocabulary to ship), values sqrt(count), then the
//   vector is L2-normalized so long and short texts score alike;
//   - NUM_LEX cue-list features (see LEXICON below) at the fixed indices NUM_BUCKETS + k, value 1,
//     appended AFTER normalization: "suicide" counts as much in a 300-word post as in a 5-word
//     prompt. The harm heads have ~60-400 labelled positives each, too few for n-gram weights to
//     generalize alone; the cue lists carry prior knowledge the data cannot.
export const HASH_BITS = 18;
export const NUM_BUCKETS = 1 << HASH_BITS;
const MASK = NUM_BUCKETS - 1;

// Per-namespace seeds keep a word "the" and the char-gram "the" in different buckets.
const SEED_CHAR = 0x811c9dc5;
const SEED_WORD = 0x01000193 ^ 0x5bd1e995;
const SEED_BIGRAM = 0x27d4eb2d;
const SEED_META = 0x165667b1;
const LENGTH_WEIGHT = 4;

export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
  /** Distinct words (runs of a-z, 0-9, apostrophe, non-ASCII after normalizeText): what the length bucket and JAILBREAK_LENGTH_BANDS count. */
  distinctWords: number;
}

/** Lowercase and collapse whitespace; cheap and deterministic (no locale, no NFKC). */
export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

function isWordChar(c: number): boolean {
  // a-z, 0-9, apostrophe, and any non-ASCII letter (kept as part of words).
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 39 || c > 127;
}

// ---------------------------------------------------------------------------------------------
// Cue lists, written for Lapis (not taken from any data set or other project). Entries: "word",
// "prefix*", or "a|b|c" (consecutive words, each part may be a prefix*). Matched on the words
// of the normalized text (curly apostrophes read as straight ones). A group's count is the number
// of DISTINCT entries that match, so repeating a word does not raise it. A prefix must not catch
// everyday words ("nigg*", not "nig*": night; no "execution*": code execution). Broad words
// ("attack", "dead", "women") only count in the weak groups or through a conjunction.
// self_ref / other_ref / gen only feed the conjunction features.
const LEXICON = {
  sh_strong: `suicid* self-harm* selfharm* self-injur* overdos* anorexi* bulimi* pro-ana thinspo* thinspi* unalive* kms
    kill|myself killing|myself killed|myself kill|my|self kill|yourself kill|herself kill|himself killed|herself killed|himself
    end|my|life end|my|own|life ending|my|life end|it|all ending|it|all take|my|own|life took|my|own|life my|own|life
    want|to|die wanna|die wish|i|was|dead wish|i|were|dead better|off|dead better|off|without|me jump|off|a|bridge
    hang|myself hurt|myself hurting|myself harm|myself harming|myself cut|myself cutting|myself burn|myself burning|myself
    starve|myself starving|myself punish|myself stab|myself drown|myself self|harm* self|injur* slit|my slit|wrists
    cut|my|wrist* eating|disorder* pro|ana not|worth|living worth|being|alive reason|to|live want|to|live stop|eating noose`,
  sh_weak: `cutting cuts cutter scars scar blade* razor* wrist* vein* bleed* bloodlet* pills purg* binge* vomit* skinny
    starv* ribcage hipbone* calories fasting relapse* numb* worthless hopeless depress* therapist endorphin* laxative*
    thigh* hate|myself lose|weight tired|of|living sh`,
  v_strong: `kill kills killed killing killin killer* murder* slaughter* massacr* genocid* exterminat* eradicat* annihilat*
    liquidat* behead* decapitat* dismember* lynch* tortur* mutilat* maim* stab stabs stabbed stabbing shoot shooting
    shot bomb bombs bombing bomber* explosive* detonat* grenade* nuke nukes nuking arson strangl* throttl* assassinat*
    terroris* rape* homicid* manslaughter bloodbath molotov gunned
    wipe|out blow|up burn|down set|fire beat|up beat|the|shit break|his|legs break|her|legs break|their|legs
    execute|them execute|him execute|her hang|them hang|em hanging|from gas|them shoot|them shoot|up gun|down
    open|fire slit|throat to|death hurt|someone physically|hurt war|crimes cull`,
  v_weak: `gun guns rifle* pistol* shotgun* firearm* ammo ammunition bullet* weapon* knife knives sword* machete* axe hammer
    blood* bloody gore gory corpse* dead death die dies died dying violen* assault* attack* punch* kick* slap* smash*
    crush* beat beating beaten hurt hurting injur* wound* skull* jaw throat* electrocut* poison* drown* chok* hostage*
    kidnap* brutal* savage* fight destroy* eliminat* hunt torch burn burned burning flesh bone* broken fractur* slash*
    gut gutting flay* impal* victim* scream* pain physically`,
  hate_group: `muslim* islam* jew jews jewish black blacks negro* asian* chinese mexican* latino* latina* hispanic*
    immigrant* migrant* refugee* gay gays lesbian* trans transgender* tranny homosexual* queer* lgbt* bisexual*
    feminist* arab* african* indian* hindu* sikh* christian* catholic* atheist* disabled disabilit* retard* autis*
    native* gypsy gypsies roma women woman females girls whites wheelchair* cripple* illegals foreigner*
    white|people black|people brown|people race|of`,
  hate_neg: `vermin subhuman sub-human animal* savage* parasit* cockroach* rats filth* scum inferior invader* invasion
    breed* inbred* disgusting degenerat* deport* mongrel* monkey* ape apes primitive* barbari* terrorist* criminal*
    ruin* plague stupid lazy dirty smelly ugly evil crazy thieves thug* rapist* pedophile* pathetic
    nigg* faggot* fag fags kike kikes dyke dykes
    go|back send|them|back should|not|exist don't|belong dont|belong not|human less|than|human sick|people
    their|kind your|kind these|people those|people them|all shouldn't|be|allowed should|not|be|allowed
    don't|deserve dont|deserve not|welcome keep|them|out`,
  gen: `all always never every typical naturally they|are they're they|should`,
  self_ref: `i i'm im me my myself mine`,
  other_ref: `you your them they those these he she his her him`,
} as const;
type LexGroup = keyof typeof LEXICON;
/** Groups that get count features (>= 1, >= 2, >= 4 distinct entries). */
const LEX_COUNTED: readonly LexGroup[] = ['sh_strong', 'sh_weak', 'v_strong', 'v_weak', 'hate_group', 'hate_neg'];
const LEX_LEVELS = [1, 2, 4] as const;
/** Conjunctions: [name, groups A, groups B] fires when some group of A and some group of B match. */
const LEX_CONJ: readonly (readonly [string, readonly LexGroup[], readonly LexGroup[]])[] = [
  ['group_neg', ['hate_group'], ['hate_neg']],
  ['group_violence', ['hate_group'], ['v_strong']],
  ['group_generalization', ['hate_group'], ['gen']],
  ['self_weak', ['self_ref'], ['sh_weak', 'v_weak']],
  ['self_violence', ['self_ref'], ['v_strong']],
  ['other_violence', ['other_ref'], ['v_strong']],
];
/** Names of the cue-list features, in index order (feature k sits at NUM_BUCKETS + k). */
export const LEX_FEATURES: readonly string[] = [
  ...LEX_COUNTED.flatMap((g) => LEX_LEVELS.map((n) => `${g}>=${n}`)),
  ...LEX_CONJ.map(([name]) => `conj:${name}`),
];
export const NUM_LEX = LEX_FEATURES.length;
/** Length of a weight vector: hashed buckets, then the cue-list features. */
export const NUM_FEATURES = NUM_BUCKETS + NUM_LEX;

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Entry ids whose whole word ends here (exact words and first parts of exact phrases). */
  exact?: number[];
  /** Entry ids of prefix* entries (and prefix* first parts of phrases) ending here. */
  prefix?: number[];
}
interface LexEntry {
  group: number;
  /** Remaining parts of a phrase after the first (empty for single words). */
  rest: readonly string[];
}
const GROUPS = Object.keys(LEXICON) as LexGroup[];
const ENTRIES: LexEntry[] = [];
const TRIE: TrieNode = { next: new Map() };
for (const [g, src] of GROUPS.map((g, i) => [i, LEXICON[g]] as const)) {
  for (const e of src.split(/\s+/).filter(Boolean)) {
    const [first, ...rest] = e.split('|') as [string, ...string[]];
    const isPrefix = first.endsWith('*');
    const word = isPrefix ? first.slice(0, -1) : first;
    let node = TRIE;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      let child = node.next.get(c);
      if (!child) node.next.set(c, (child = { next: new Map() }));
      node = child;
    }
    const id = ENTRIES.push({ group: g, rest }) - 1;
    (isPrefix ? (node.prefix ??= []) : (node.exact ??= [])).push(id);
  }
}
const entrySeen = new Uint8Array(ENTRIES.length);
const groupCount = new Int32Array(GROUPS.length);
const partMatches = (part: string, w: string) => (part.endsWith('*') ? w.startsWith(part.slice(0, -1)) : w === part);

/** Cue-list features of a word sequence: indices into LEX_FEATURES (value 1 each). */
export function lexiconFeatures(words: readonly string[]): number[] {
  const hits: number[] = [];
  const hit = (id: number, at: number) => {
    const { group, rest } = ENTRIES[id]!;
    for (let k = 0; k < rest.length; k++) {
      const w = words[at + 1 + k];
      if (w === undefined || !partMatches(rest[k]!, w)) return;
    }
    if (entrySeen[id]) return;
    entrySeen[id] = 1;
    hits.push(id);
    groupCount[group]!++;
  };
  for (let at = 0; at < words.length; at++) {
    const w = words[at]!;
    let node: TrieNode | undefined = TRIE;
    for (let i = 0; node && i <= w.length; i++) {
      if (node.prefix) for (const id of node.prefix) hit(id, at);
      if (i === w.length) {
        if (node.exact) for (const id of node.exact) hit(id, at);
        break;
      }
      node = node.next.get(w.charCodeAt(i));
    }
  }
  const out: number[] = [];
  let k = 0;
  for (const g of LEX_COUNTED) {
    const n = groupCount[GROUPS.indexOf(g)]!;
    for (const level of LEX_LEVELS) {
      if (n >= level) out.push(k);
      k++;
    }
  }
  const has = (gs: readonly LexGroup[]) => gs.some((g) => groupCount[GROUPS.indexOf(g)]! > 0);
  for (const [, a, b] of LEX_CONJ) {
    if (has(a) && has(b)) out.push(k);
    k++;
  }
  for (const id of hits) entrySeen[id] = 0;
  groupCount.fill(0);
  return out;
}

// Scratch space reused across calls: classify() allocates only the output arrays.
const scratch = new Float32Array(NUM_BUCKETS);
let touched = new Int32Array(4096);

/**
 * Featurize one text into a sparse vector (indices unsorted; n-gram part L2-normalized, cue-list
 * features last). withLexicon = false skips the cue lists (for heads that do not use them).
 */
export function featurize(text: string, withLexicon = true): SparseVector {
  const s = ' ' + normalizeText(text) + ' ';
  const n = s.length;
  let nt = 0;
  const add = (h: number) => {
    const b = h & MASK;
    if (scratch[b] === 0) {
      if (nt === touched.length) {
        const grown = new Int32Array(touched.length * 2);
        grown.set(touched);
        touched = grown;
      }
      touched[nt++] = b;
    }
    scratch[b]! += 1;
  };

  // Character n-grams, n = 3..5: one FNV-1a pass per start position.
  for (let i = 0; i + 3 <= n; i++) {
    let h = SEED_CHAR;
    for (let k = 0; k < 5 && i + k < n; k++) {
      h = Math.imul(h ^ s.charCodeAt(i + k), 0x01000193);
      if (k >= 2) add((h ^ (k << 28)) >>> 0);
    }
  }

  // Word unigrams and bigrams; the words themselves for the cue lists.
  let prev = 0;
  let hasPrev = false;
  const words: string[] | null = withLexicon ? [] : null;
  const distinct = new Set<number>();
  for (let i = 0; i < n; ) {
    while (i < n && !isWordChar(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let h = SEED_WORD;
    while (i < n && isWordChar(s.charCodeAt(i))) {
      h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      i++;
    }
    add(h >>> 0);
    if (hasPrev) add(Math.imul(prev ^ SEED_BIGRAM, 0x9e3779b1) ^ h);
    prev = h;
    hasPrev = true;
    distinct.add(h);
    words?.push(s.slice(start, i));
  }

  // Coarse length bucket: floor(log2(distinct words + 1)), capped. Counted LENGTH_WEIGHT times
  // (value 2 before normalization) so a head can learn a real prior per length, e.g. that 1-6
  // word texts are rarely jailbreaks, instead of reading a greeting's n-grams as the n-grams of
  // "Hello ChatGPT". Distinct words, so a repeated sentence is as short as the sentence.
  const lb = Math.imul(SEED_META ^ Math.min(12, Math.floor(Math.log2(distinct.size + 1))), 0x85ebca6b) >>> 0;
  for (let k = 0; k < LENGTH_WEIGHT; k++) add(lb);

  let lex: number[] = [];
  if (words) {
    for (let j = 0; j < words.length; j++) if (words[j]!.includes('\u2019')) words[j] = words[j]!.replace(/\u2019/g, "'");
    lex = lexiconFeatures(words);
  }

  const idx = new Int32Array(nt + lex.length);
  const val = new Float32Array(nt + lex.length);
  let norm = 0;
  for (let j = 0; j < nt; j++) {
    const b = touched[j]!;
    const v = Math.sqrt(scratch[b]!);
    scratch[b] = 0;
    idx[j] = b;
    val[j] = v;
    norm += v * v;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let j = 0; j < nt; j++) val[j]! *= inv;
  for (let j = 0; j < lex.length; j++) {
    idx[nt + j] = NUM_BUCKETS + lex[j]!;
    val[nt + j] = 1;
  }
  return { idx, val, distinctWords: distinct.size };
}

/**
 * Upper DISTINCT-word counts (SparseVector.distinctWords) of the jailbreak head's length bands (the
 * last band is open-ended). They follow the featurizer's own length bucket floor(log2(words + 1)):
 * 1-2, 3-6, 7-14, 15-30, 31+. A long text that repeats a few words is judged by the stricter
 * threshold of the short text it effectively is.
 */
export const JAILBREAK_LENGTH_BANDS: readonly number[] = [2, 6, 14, 30];

/**
 * Split a document into segments for indirect-attack scoring: an injected instruction is a
 * short span inside a long benign document, and whole-document features dilute it.
 * Splits on newlines, '|' field separators and sentence ends; merges fragments < 24 chars
 * into the next segment so "Cheers" or "Hi," never stand alone.
 */
export function segmentDocument(text: string): string[] {
  const raw = text.split(/\n+|\|+|(?<=[.!?])\s+/);
  const out: string[] = [];
  let carry = '';
  for (const part of raw) {
    const t = (carry ? carry + ' ' : '') + part.trim();
    if (t.trim().length < 24) {
      carry = t;
      continue;
    }
    out.push(t.trim());
    carry = '';
  }
  if (carry.trim()) {
    if (out.length > 0) out[out.length - 1] += ' ' + carry.trim();
    else out.push(carry.trim());
  }
  return out;
}
