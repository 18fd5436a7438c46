// The JSON-valued capacity settings (quotas, ptuThroughput, modelPrices) are objects keyed by a
// name; this reads one and names the setting in every error, so a bad value stops the start
// with a message that says which setting is wrong.

/** Parses `json` as a JSON object, or throws naming `setting` and `shape` (what it should hold). */
export function readJsonObject(setting: string, json: string, shape: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`${setting} is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${setting} must be a JSON object of ${shape}`);
  return raw as Record<string, unknown>;
}
