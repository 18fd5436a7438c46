// Content-filter (RAI) policies and custom blocklists as Lapis stores them. The ARM shapes
// (Microsoft.CognitiveServices/accounts/raiPolicies, …/raiBlocklists, …/raiBlocklistItems of
// RM 2025-06-01) are built from these by the control plane; the data path evaluates them.

/** Filter names of RaiPolicyContentFilter.name, in Azure's spelling ("Indirect Attack" is UNCONFIRMED). */
export const RAI_FILTER_NAMES = [
  'Hate',
  'Sexual',
  'Violence',
  'Selfharm',
  'Jailbreak',
  'Indirect Attack',
  'Protected Material Text',
  'Protected Material Code',
  'Profanity',
] as const;
export type RaiFilterName = (typeof RAI_FILTER_NAMES)[number];

/** The four harm categories: the only filters graded by severity, so the only ones with a threshold. */
export const RAI_HARM_CATEGORIES: readonly RaiFilterName[] = ['Hate', 'Sexual', 'Violence', 'Selfharm'];

export const RAI_SOURCES = ['Prompt', 'Completion'] as const;
export type RaiSource = (typeof RAI_SOURCES)[number];

/** `Low` filters low, medium and high; `Medium` filters medium and high; `High` filters high only. */
export const RAI_SEVERITY_THRESHOLDS = ['Low', 'Medium', 'High'] as const;
export type RaiSeverityThreshold = (typeof RAI_SEVERITY_THRESHOLDS)[number];

/** `Asynchronous_filter` (2025-06-01 and later) is what earlier versions called `Deferred`. */
export const RAI_POLICY_MODES = ['Default', 'Deferred', 'Blocking', 'Asynchronous_filter'] as const;
export type RaiPolicyMode = (typeof RAI_POLICY_MODES)[number];

export interface RaiContentFilter {
  name: RaiFilterName;
  source: RaiSource;
  /** false: the filter does not run at all. */
  enabled: boolean;
  /** false: detections are annotated but never filter. */
  blocking: boolean;
  /** Harm categories only. */
  severityThreshold?: RaiSeverityThreshold;
}

export interface RaiCustomBlocklistRef {
  blocklistName: string;
  source: RaiSource;
  blocking: boolean;
}

/** Prompt formats of the guard models a policy can use as its classifier. */
export const RAI_GUARD_FORMATS = ['LlamaGuard', 'ShieldGemma', 'GraniteGuardian'] as const;
export type RaiGuardFormat = (typeof RAI_GUARD_FORMATS)[number];

/** What a policy does when its classifier fails or times out: refuse the text, or let it pass annotated. */
export const RAI_FAILURE_MODES = ['Closed', 'Open'] as const;
export type RaiFailureMode = (typeof RAI_FAILURE_MODES)[number];

/**
 * A Lapis extension of RaiPolicyProperties: the classifier that grades the four harm categories
 * instead of the built-in one. A guard model served by a deployment of the same account, or an
 * HTTP service speaking Azure AI Content Safety (which also answers the prompt shields).
 */
export type RaiClassifier =
  | { type: 'Deployment'; deploymentName: string; format: RaiGuardFormat; timeoutMs: number; failureMode: RaiFailureMode }
  | {
      type: 'ContentSafety';
      /** Base URL, e.g. https://my-cs.cognitiveservices.azure.com (requests go to {endpoint}/contentsafety/…). */
      endpoint: string;
      /** Sent as Ocp-Apim-Subscription-Key; stored sealed and never returned. */
      key?: string;
      timeoutMs: number;
      failureMode: RaiFailureMode;
    };

/** What a policy says, whether built in or the account's own. */
export interface RaiPolicyContent {
  name: string;
  basePolicyName?: string;
  mode: RaiPolicyMode;
  contentFilters: RaiContentFilter[];
  customBlocklists: RaiCustomBlocklistRef[];
  classifier?: RaiClassifier;
}

/** A policy an account defined (ARM properties.type UserManaged). */
export interface RaiPolicy extends RaiPolicyContent {
  id: string;
  accountId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RaiBlocklistItem {
  name: string;
  pattern: string;
  isRegex: boolean;
}

export interface RaiBlocklist {
  id: string;
  accountId: string;
  name: string;
  description?: string;
  /** Ordered by name; written through the item methods of the repository, not by upsert. */
  items: RaiBlocklistItem[];
  createdAt: Date;
  updatedAt: Date;
}

const harm = (threshold: RaiSeverityThreshold): RaiContentFilter[] =>
  RAI_HARM_CATEGORIES.flatMap((name) =>
    RAI_SOURCES.map((source) => ({ name, source, enabled: true, blocking: true, severityThreshold: threshold })),
  );

const on = (name: RaiFilterName, source: RaiSource): RaiContentFilter => ({ name, source, enabled: true, blocking: true });

/**
 * Azure's system-managed policies: Medium threshold on the four harm categories for prompts and
 * completions, blocking; DefaultV2 adds prompt shields for jailbreaks and protected material
 * detection on completions. Their `mode` as Azure lists them is UNCONFIRMED; `Default` is the
 * synchronous filtering both apply.
 */
export const MICROSOFT_DEFAULT: Readonly<RaiPolicyContent> = Object.freeze({
  name: 'Microsoft.Default',
  mode: 'Default',
  contentFilters: harm('Medium'),
  customBlocklists: [],
});

export const MICROSOFT_DEFAULT_V2: Readonly<RaiPolicyContent> = Object.freeze({
  name: 'Microsoft.DefaultV2',
  mode: 'Default',
  contentFilters: [
    ...harm('Medium'),
    on('Jailbreak', 'Prompt'),
    on('Protected Material Text', 'Completion'),
    on('Protected Material Code', 'Completion'),
  ],
  customBlocklists: [],
});

export const BUILT_IN_RAI_POLICIES: readonly Readonly<RaiPolicyContent>[] = Object.freeze([MICROSOFT_DEFAULT, MICROSOFT_DEFAULT_V2]);

/** The built-in policy of this name (ARM names are case-insensitive). */
export function builtInRaiPolicy(name: string): Readonly<RaiPolicyContent> | undefined {
  const lower = name.toLowerCase();
  return BUILT_IN_RAI_POLICIES.find((p) => p.name.toLowerCase() === lower);
}

/** Names under `Microsoft.` are Azure's (system-managed); accounts cannot define their own there. */
export function isReservedRaiPolicyName(name: string): boolean {
  return name.toLowerCase().startsWith('microsoft.');
}

/**
 * The policy a deployment names: a built-in one, or one the account defined. The data path
 * calls this with the (cached) store's repository.
 */
export async function resolveRaiPolicy(
  policies: { get(accountId: string, name: string): Promise<RaiPolicy | undefined> },
  accountId: string,
  name: string,
): Promise<Readonly<RaiPolicyContent> | undefined> {
  const found = builtInRaiPolicy(name) ?? (isReservedRaiPolicyName(name) ? undefined : await policies.get(accountId, name));
  return found?.basePolicyName === undefined ? found : withBase(found);
}

/**
 * A policy over its base: each (filter, source) pair the policy does not list comes from the
 * base policy, so a policy can change one threshold and keep the rest of Azure's defaults.
 */
export function withBase(policy: Readonly<RaiPolicyContent>): Readonly<RaiPolicyContent> {
  const base = policy.basePolicyName === undefined ? undefined : builtInRaiPolicy(policy.basePolicyName);
  if (!base) return policy;
  const own = new Set(policy.contentFilters.map((f) => `${f.name}/${f.source}`));
  return { ...policy, contentFilters: [...policy.contentFilters, ...base.contentFilters.filter((f) => !own.has(`${f.name}/${f.source}`))] };
}
