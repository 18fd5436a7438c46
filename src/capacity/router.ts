// The model router's choice (docs/capacity.md, "Model router"): how demanding a chat request
// looks, from signals that can be read without a model, and which deployment of a router's list
// answers it. Price stands in for capability: a router ranks its deployments from cheapest to
// dearest and sends harder requests further up. Pure functions; the data plane does the I/O.

import type { ChatMessage, RouterMode, ToolDefinition } from '../core/index.js';
import type { ModelPrice } from './prices.js';

/** What the estimate reads of a chat request. */
export interface ComplexityInput {
  messages: readonly Pick<ChatMessage, 'role' | 'content' | 'toolCalls'>[];
  tools?: readonly ToolDefinition[];
}

/** Each signal in [0, 1]. */
export interface Signals {
  /** Prompt length: 0 up to ~20 tokens, 1 from ~4,000, logarithmic between. */
  length: number;
  /** 1 when tools are offered or the conversation already calls them. */
  tools: number;
  /** 1 with a ``` fence; else a quarter per code-like line. */
  code: number;
  /** A third per distinct reasoning cue in the instructions (words such as "prove", "step by step"; math notation). */
  reasoning: number;
  /** Depth of the conversation: 0 for one user turn, 1 from seven. */
  turns: number;
}

/**
 * How much each signal weighs; they sum to 1. Reasoning cues weigh most (they are what sets
 * reasoning models apart on Azure's own router), then length and code; tools and depth add a
 * little — small models call tools well enough.
 */
export const WEIGHTS: Readonly<Signals> = { reasoning: 0.3, length: 0.25, code: 0.2, tools: 0.15, turns: 0.1 };

/** Characters per token of English and code in o200k/cl100k-style tokenizers: a rough count is enough here. */
const CHARS_PER_TOKEN = 4;
const SHORT_TOKENS = 20;
const LONG_TOKENS = 4000;

const REASONING_CUES: readonly RegExp[] = [
  /\bprov(e|es|ing)\b|\bproofs?\b/i,
  /\bderiv(e|es|ing|ation)\b/i,
  /\bstep[ -]by[ -]step\b/i,
  /\banaly[sz](e|es|ing|is)\b/i,
  /\bcompar(e|es|ing|ison)\b/i,
  /\bwhy\b/i,
  /\btrade[ -]?offs?\b|\bpros and cons\b/i,
  /\balgorithm(s|ic)?\b|\bbig[ -]o\b|\bO\([^)]*n[^)]*\)/i,
  /\boptimi[sz](e|es|ing|ation)\b/i,
  /\b(time|space) complexity\b|\btheorem\b|\blemma\b|\binduction\b/i,
  /\bjustify\b|\breason(ing)? about\b|\bedge cases?\b/i,
  /\bdesign\b|\barchitect(ure)?\b|\bscalab(le|ility)\b/i,
  /\bcalculate\b|\bsolve\b|\bestimate\b/i,
  /\bdebug\b|\brefactor\b|\broot cause\b/i,
  // Math notation: symbols, LaTeX commands, exponents and equations.
  /[∑∫√≤≥≠≈∀∃⇒⇔∞π∂∇]|\\(frac|sum|int|sqrt|lim)\b|\b[a-z]\^\d|\d\s*[\^]\s*\d|\b[a-z]\s*[<>]=?\s*\d/i,
];
const CUES_FOR_FULL = 3;

/** Lines that look like source code rather than prose. */
const CODE_LINE: readonly RegExp[] = [
  /^\s*(def|class|function|func|fn|interface|struct|enum)\s+\w+/,
  /^\s*import\s+[\w{*'"]|^\s*from\s+[\w.]+\s+import\b|^\s*#include\b|^\s*using\s+[\w.]+;/,
  /^\s*(const|let|var|val|auto)\s+\w+\s*[:=]/,
  /^\s*(if|for|while|switch|catch)\s*\(.*\)/,
  /^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER)\s/,
  /[;{}]\s*$/,
  /\w\s*\([^)]*\)\s*(=>|->|\{)/,
];
const CODE_LINES_FOR_FULL = 4;
const TURNS_FOR_FULL = 7;

const clamp = (x: number) => Math.min(1, Math.max(0, x));

export function signals(request: ComplexityInput): Signals {
  const all = request.messages.map((m) => m.content).join('\n');
  const instructions = request.messages.filter((m) => m.role === 'user' || m.role === 'system' || m.role === 'developer').map((m) => m.content).join('\n');
  const tokens = all.length / CHARS_PER_TOKEN;
  const length = tokens <= SHORT_TOKENS ? 0 : clamp(Math.log(tokens / SHORT_TOKENS) / Math.log(LONG_TOKENS / SHORT_TOKENS));
  const usesTools = (request.tools?.length ?? 0) > 0 || request.messages.some((m) => m.role === 'tool' || (m.toolCalls?.length ?? 0) > 0);
  const codeLines = all.split('\n').filter((line) => CODE_LINE.some((re) => re.test(line))).length;
  const code = all.includes('```') ? 1 : clamp(codeLines / CODE_LINES_FOR_FULL);
  const cues = REASONING_CUES.filter((re) => re.test(instructions)).length;
  const userTurns = request.messages.filter((m) => m.role === 'user').length;
  return {
    length,
    tools: usesTools ? 1 : 0,
    code,
    reasoning: clamp(cues / CUES_FOR_FULL),
    turns: clamp((userTurns - 1) / (TURNS_FOR_FULL - 1)),
  };
}

/** How demanding the request looks, in [0, 1]: the weighted sum of its signals. */
export function complexity(request: ComplexityInput): number {
  const s = signals(request);
  let sum = 0;
  for (const key of Object.keys(WEIGHTS) as (keyof Signals)[]) sum += WEIGHTS[key] * s[key];
  return clamp(sum);
}

/** How far each mode moves a request's complexity before the choice. */
export const MODE_SHIFT: Readonly<Record<RouterMode, number>> = { balanced: 0, quality: 0.25, cost: -0.25 };

export interface Candidate {
  /** Deployment name. */
  name: string;
  /** The deployment's model, for the price. */
  model: string;
  price: ModelPrice;
}

/** One figure per model: input weighs three times output, the usual 3:1 blend of chat traffic. */
export function blendedPrice(p: ModelPrice): number {
  return (3 * p.input + p.output) / 4;
}

/**
 * The candidate that answers: candidates ranked by blended price (equal prices keep the order
 * given: the router's list), and the one at rank round(c × (n − 1)), where c is the complexity
 * moved by the mode and clamped to [0, 1] — the cheapest candidate ranked high enough.
 */
export function chooseDeployment<C extends Candidate>(candidates: readonly C[], complexityScore: number, mode: RouterMode = 'balanced'): C {
  if (candidates.length === 0) throw new Error('a router needs at least one candidate');
  // Array.prototype.sort is stable, so equal prices keep the list's order.
  const ranked = [...candidates].sort((a, b) => blendedPrice(a.price) - blendedPrice(b.price));
  const c = clamp(complexityScore + MODE_SHIFT[mode]);
  return ranked[Math.round(c * (ranked.length - 1))]!;
}
