// Azure AI Content Safety's text API in wire terms: request readers (each refusal is Content
// Safety's InvalidRequestBody, naming the field), the severity scales and the blocklist shapes.
// Shapes and limits follow the ContentSafety TypeSpec (azure-rest-api-specs,
// specification/cognitiveservices/ContentSafety/models/text*.tsp, 2024-09-01). Unknown members
// are ignored, as the service does; the SDKs send some read-only ones (blocklistName) back.

import type { RaiBlocklist, RaiBlocklistItem } from '../../core/index.js';
import { contentSafetyErrors as errors } from '../../errors/index.js';
import type { HarmCategory, SafetyResult } from '../../safety/classifier/index.js';
import { isObject, type JsonObject } from './read.js';

/** Limits of the TypeSpec, counted in Unicode code points as the service counts them. */
export const MAX_TEXT = 10_000;
export const MAX_ITEM_TEXT = 128;
export const MAX_DESCRIPTION = 1024;
/** Items per add or remove call (the operations' documentation) and per blocklist (UNCONFIRMED). */
export const MAX_ITEMS_PER_CALL = 100;
export const MAX_BLOCKLIST_ITEMS = 10_000;

/**
 * Blocklist names: the ARM raiBlocklists rule, stricter than Content Safety's own
 * ^[0-9A-Za-z._~-]{1,64}$, because both APIs manage the same per-account blocklists and a name
 * only one of them accepts would strand the blocklist outside the other.
 */
const BLOCKLIST_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export function checkBlocklistName(name: string): void {
  if (!BLOCKLIST_NAME.test(name)) {
    throw errors.invalidResourceName(
      `The blocklist name '${name}' is invalid: 1 to 64 letters, digits, underscores, periods and hyphens, starting with a letter or digit.`,
    );
  }
}

/** Wire names in the service's response order, with the classifier head each reads. */
export const TEXT_CATEGORIES: readonly (readonly [string, HarmCategory])[] = [
  ['Hate', 'hate'],
  ['SelfHarm', 'self_harm'],
  ['Sexual', 'sexual'],
  ['Violence', 'violence'],
];

export type OutputType = 'FourSeverityLevels' | 'EightSeverityLevels';

/**
 * The classifier grades on the four-level scale (0, 2, 4, 6). Azure's four levels are its eight
 * folded pairwise ({0,1}→0, {2,3}→2, …), so a four-level grade L stands for eight-level L or
 * L+1; Lapis reports L, the lower, which folds back to the same four-level answer and never
 * claims a finer grade than the classifier has. Eight-level output is therefore always even.
 */
export function severityOf(result: SafetyResult, head: HarmCategory): number {
  return result[head].level;
}

const codePoints = (s: string) => [...s].length;

function body(raw: unknown): JsonObject {
  if (!isObject(raw)) throw errors.invalidRequestBody('The request body must be a JSON object.');
  return raw;
}

function optString(o: JsonObject, key: string, path = key): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.invalidRequestBody(`The field '${path}' must be a string.`);
  return v;
}

function optStringArray(o: JsonObject, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw errors.invalidRequestBody(`The field '${key}' must be an array of strings.`);
  return v as string[];
}

function maxLength(value: string, max: number, path: string): string {
  if (codePoints(value) > max) {
    throw errors.invalidRequestBody(`The field '${path}' is longer than ${max} characters.`, 'TextLengthExceeded');
  }
  return value;
}

export interface AnalyzeTextOptions {
  text: string;
  /** Wire names, canonical spelling, in the service's order. */
  categories: readonly (readonly [string, HarmCategory])[];
  blocklistNames: string[];
  haltOnBlocklistHit: boolean;
  outputType: OutputType;
}

export function readAnalyzeText(raw: unknown): AnalyzeTextOptions {
  const o = body(raw);
  const text = optString(o, 'text');
  if (text === undefined) throw errors.invalidRequestBody("The field 'text' is required.", 'MissingField');
  maxLength(text, MAX_TEXT, 'text');

  let categories = TEXT_CATEGORIES;
  const asked = optStringArray(o, 'categories');
  if (asked !== undefined) {
    for (const c of asked) {
      if (!TEXT_CATEGORIES.some(([wire]) => wire.toLowerCase() === c.toLowerCase())) {
        throw errors.invalidRequestBody(`The category '${c}' is not supported. Supported categories: Hate, SelfHarm, Sexual, Violence.`, 'InvalidCategory');
      }
    }
    // An empty list is "not assigned": the default set, as the TypeSpec describes.
    if (asked.length > 0) categories = TEXT_CATEGORIES.filter(([wire]) => asked.some((c) => c.toLowerCase() === wire.toLowerCase()));
  }

  const halt = o.haltOnBlocklistHit;
  if (halt !== undefined && halt !== null && typeof halt !== 'boolean') throw errors.invalidRequestBody("The field 'haltOnBlocklistHit' must be a boolean.");

  const outputType = optString(o, 'outputType') ?? 'FourSeverityLevels';
  if (outputType !== 'FourSeverityLevels' && outputType !== 'EightSeverityLevels') {
    throw errors.invalidRequestBody(`The outputType '${outputType}' is not supported. Supported values: FourSeverityLevels, EightSeverityLevels.`, 'InvalidOutputType');
  }
  return { text, categories, blocklistNames: optStringArray(o, 'blocklistNames') ?? [], haltOnBlocklistHit: halt === true, outputType };
}

export interface ShieldPromptOptions {
  userPrompt?: string;
  documents: string[];
}

export function readShieldPrompt(raw: unknown): ShieldPromptOptions {
  const o = body(raw);
  const userPrompt = optString(o, 'userPrompt');
  const documents = optStringArray(o, 'documents') ?? [];
  if (userPrompt === undefined && documents.length === 0) {
    throw errors.invalidRequestBody("At least one of 'userPrompt' and 'documents' is required.", 'MissingField');
  }
  if (userPrompt !== undefined) maxLength(userPrompt, MAX_TEXT, 'userPrompt');
  documents.forEach((d, i) => maxLength(d, MAX_TEXT, `documents[${i}]`));
  return { ...(userPrompt === undefined ? {} : { userPrompt }), documents };
}

/** A merge-patch of a blocklist: undefined keeps the description, null removes it. */
export function readBlocklistPatch(raw: unknown, name: string): { description: string | null | undefined } {
  const o = raw === undefined ? {} : body(raw);
  const echoed = optString(o, 'blocklistName');
  if (echoed !== undefined && echoed.toLowerCase() !== name.toLowerCase()) {
    throw errors.invalidRequestBody(`The blocklistName '${echoed}' in the body differs from '${name}' in the URL.`);
  }
  if (o.description === null) return { description: null };
  const description = optString(o, 'description');
  return { description: description === undefined ? undefined : maxLength(description, MAX_DESCRIPTION, 'description') };
}

export interface NewItem {
  text: string;
  isRegex: boolean;
}

export function readAddItems(raw: unknown, check: (pattern: string, isRegex: boolean) => string | undefined): NewItem[] {
  const list = body(raw).blocklistItems;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ITEMS_PER_CALL) {
    throw errors.invalidRequestBody(`The field 'blocklistItems' must be an array of 1 to ${MAX_ITEMS_PER_CALL} items.`);
  }
  return list.map((entry, i) => {
    const path = `blocklistItems[${i}]`;
    if (!isObject(entry)) throw errors.invalidRequestBody(`The field '${path}' must be an object.`);
    const text = optString(entry, 'text', `${path}.text`);
    if (text === undefined) throw errors.invalidRequestBody(`The field '${path}.text' is required.`, 'MissingField');
    maxLength(text, MAX_ITEM_TEXT, `${path}.text`);
    // Descriptions are read for their type and length but not kept (see content-safety routes).
    const description = optString(entry, 'description', `${path}.description`);
    if (description !== undefined) maxLength(description, MAX_DESCRIPTION, `${path}.description`);
    const isRegex = entry.isRegex ?? false;
    if (typeof isRegex !== 'boolean') throw errors.invalidRequestBody(`The field '${path}.isRegex' must be a boolean.`);
    const problem = check(text, isRegex);
    if (problem) throw errors.invalidRequestBody(`The field '${path}.text' is refused. ${problem}`, 'InvalidBlocklistItem');
    return { text, isRegex };
  });
}

export function readRemoveItems(raw: unknown): string[] {
  const ids = body(raw).blocklistItemIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_ITEMS_PER_CALL || !ids.every((x) => typeof x === 'string')) {
    throw errors.invalidRequestBody(`The field 'blocklistItemIds' must be an array of 1 to ${MAX_ITEMS_PER_CALL} strings.`);
  }
  return ids as string[];
}

export function blocklistToWire(b: RaiBlocklist): JsonObject {
  return b.description === undefined ? { blocklistName: b.name } : { blocklistName: b.name, description: b.description };
}

/** An item as Content Safety shows it: its id is the ARM item name, its text the pattern. */
export function itemToWire(item: RaiBlocklistItem): JsonObject {
  return { blocklistItemId: item.name, text: item.pattern, isRegex: item.isRegex };
}
