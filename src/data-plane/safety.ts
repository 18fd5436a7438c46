// The safety stages of an inference request: the deployment's content-filter policy applied to
// the prompt (a blocking hit is Azure's 400 content_filter) and to the completion — folded
// answers are checked whole; streams are checked segment by segment, held back until checked
// in the Default mode, released at once with annotation events after them in the
// Asynchronous_filter mode (shared/reference/azure-api.md §3.3).

import type { ChatMessage, Deployment, GenerationEvent, RaiClassifier, RaiPolicyContent, Store } from '../core/index.js';
import { resolveRaiPolicy } from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import { compileBlocklist, type BlocklistMatcher } from '../safety/blocklists.js';
import { ContentSafetyClassifier } from '../safety/guards/content-safety.js';
import { DeploymentClassifier } from '../safety/guards/deployment.js';
import { evaluate, type Classifiers, type FilterResults, type PolicyClassifier, type TextToCheck } from '../safety/policy.js';
import type { DataPlaneContext } from './context.js';

/** What a deployment that names no policy gets, as on Azure. */
export const DEFAULT_POLICY = 'Microsoft.DefaultV2';
/**
 * Characters of a stream checked at a time (Azure signals within ~1,000 characters). A guard
 * model costs a generation per check, so its segments are as long as Azure's.
 */
const SEGMENT = 200;
const SEGMENT_WITH_GUARD_MODEL = 1000;
/** Completion text before a segment that protected-material matching also reads (runs cross segments). */
const MATERIAL_CONTEXT = 4000;

/** A stream event with what the completion filter said about it. */
export type FilteredEvent =
  | (GenerationEvent & { filter?: FilterResults })
  | { type: 'annotation'; choice: number; filter: FilterResults; offsets: { check: number; start: number; end: number }; finishReason?: 'content_filter' };

const DOCUMENTS = /<documents>([\s\S]*?)<\/documents>/gi;

/** The prompt as the filters read it: all instructions for harm, the user's words for jailbreaks, documents for indirect attacks. */
export function promptInput(messages: readonly ChatMessage[]): TextToCheck {
  const said = messages.filter((m) => m.role === 'system' || m.role === 'developer' || m.role === 'user').map((m) => m.content);
  const user = messages.filter((m) => m.role === 'user').map((m) => m.content);
  const documents = [
    ...messages.filter((m) => m.role === 'tool').map((m) => m.content),
    ...user.flatMap((u) => [...u.matchAll(DOCUMENTS)].map((d) => d[1]!)),
  ].filter((d) => d.trim() !== '');
  return { text: said.join('\n'), userText: user.join('\n'), documents };
}

export class Guard {
  /** The user's words of the checked prompt: a guard model judges the completion against them. */
  private userText: string | undefined;

  constructor(
    private readonly classifiers: Classifiers,
    private readonly policy: RaiPolicyContent,
    private readonly blocklists: readonly BlocklistMatcher[],
    private readonly signal?: AbortSignal,
  ) {}

  get asynchronous(): boolean {
    return this.policy.mode === 'Asynchronous_filter' || this.policy.mode === 'Deferred';
  }

  private get segment(): number {
    const ext = this.classifiers.external;
    return ext && 'classifier' in ext && ext.classifier instanceof DeploymentClassifier ? SEGMENT_WITH_GUARD_MODEL : SEGMENT;
  }

  /** Annotations of the prompt; throws Azure's content_filter 400 when a blocking filter fires. */
  async checkPrompt(input: TextToCheck): Promise<FilterResults> {
    this.userText ??= input.userText;
    const { results, filtered } = await evaluate(this.classifiers, this.policy, 'Prompt', input, this.blocklists, this.signal);
    if (filtered) throw errors.contentFiltered(results);
    return results;
  }

  /** `context`: the completion so far, ending with `text` (for protected material across segments). */
  checkCompletion(text: string, context?: string): Promise<{ results: FilterResults; filtered: boolean }> {
    const input: TextToCheck = { text, ...(this.userText === undefined ? {} : { prompt: this.userText }), ...(context === undefined ? {} : { context }) };
    return evaluate(this.classifiers, this.policy, 'Completion', input, this.blocklists, this.signal);
  }

  /** The stream with each choice's text checked in segments (see the file's comment). */
  async *filterStream(events: AsyncIterable<GenerationEvent>): AsyncGenerator<FilteredEvent> {
    const held = new Map<number, { text: string; checked: number; stopped: boolean }>();
    const state = (choice: number) => held.get(choice) ?? held.set(choice, { text: '', checked: 0, stopped: false }).get(choice)!;
    const size = this.segment;
    const check = async (choice: number, final: boolean): Promise<FilteredEvent[]> => {
      const s = state(choice);
      const pending = s.text.length - s.checked;
      if (pending === 0 || (!final && pending < size)) return [];
      const segment = s.text.slice(s.checked);
      const { results, filtered } = await this.checkCompletion(segment, s.text.slice(Math.max(0, s.checked - MATERIAL_CONTEXT)));
      const start = s.checked;
      s.checked = s.text.length;
      if (filtered) s.stopped = true;
      if (this.asynchronous) {
        return [{ type: 'annotation', choice, filter: results, offsets: { check: start, start, end: s.checked }, ...(filtered ? { finishReason: 'content_filter' as const } : {}) }];
      }
      if (filtered) return [{ type: 'done', choice, finishReason: 'content_filter', filter: results }];
      return [{ type: 'text', choice, text: segment, filter: results }];
    };
    for await (const ev of events) {
      if (ev.type === 'usage') {
        yield ev;
        continue;
      }
      const s = state(ev.choice);
      if (s.stopped) continue;
      if (ev.type === 'text') {
        s.text += ev.text;
        if (this.asynchronous) yield ev;
        yield* await check(ev.choice, false);
      } else if (ev.type === 'done') {
        yield* await check(ev.choice, true);
        if (!state(ev.choice).stopped) yield ev;
      } else {
        yield ev;
      }
    }
  }
}

/** The guard of a deployment: its policy (or the default), the blocklists and the classifiers that policy uses. */
export async function guardFor(ctx: DataPlaneContext, deployment: Deployment, signal?: AbortSignal): Promise<Guard> {
  const name = typeof deployment.properties.raiPolicyName === 'string' ? deployment.properties.raiPolicyName : DEFAULT_POLICY;
  // The control plane refuses deployments naming a missing policy; one deleted since is a server fault.
  const policy = await resolveRaiPolicy(ctx.store.raiPolicies, deployment.accountId, name);
  if (!policy) throw errors.internalError();
  const classifiers: Classifiers = {
    builtIn: ctx.classifier,
    ...(ctx.protectedMaterial ? { protectedMaterial: ctx.protectedMaterial } : {}),
    ...(policy.classifier ? { external: await policyClassifier(ctx, deployment.accountId, policy.classifier) } : {}),
  };
  return new Guard(classifiers, policy, await blocklistsOf(ctx.store, deployment.accountId, policy), signal);
}

/** The policy's classifier, or why it cannot be reached now (the policy's failure mode then applies). */
async function policyClassifier(ctx: DataPlaneContext, accountId: string, c: RaiClassifier): Promise<PolicyClassifier> {
  const { timeoutMs, failureMode } = c;
  if (c.type === 'ContentSafety') return { classifier: new ContentSafetyClassifier(c.endpoint, c.key), timeoutMs, failureMode };
  const guard = await ctx.store.deployments.get(accountId, c.deploymentName);
  if (!guard) return { unavailable: `The guard deployment '${c.deploymentName}' does not exist.`, failureMode };
  const served = ctx.runtime.get(guard.id);
  if (served?.state !== 'ready') return { unavailable: `The guard deployment '${guard.name}' is not ready (${served?.state ?? 'not loaded'}).`, failureMode };
  return { classifier: new DeploymentClassifier(served.backend, guard.name, c.format), timeoutMs, failureMode };
}

/** Compiled blocklists, kept while the stored blocklist is unchanged. */
const compiled = new Map<string, { version: string; matcher: BlocklistMatcher }>();

async function blocklistsOf(store: Store, accountId: string, policy: RaiPolicyContent): Promise<BlocklistMatcher[]> {
  const matchers: BlocklistMatcher[] = [];
  for (const ref of policy.customBlocklists) {
    const list = await store.raiBlocklists.get(accountId, ref.blocklistName);
    if (!list) continue;
    // Item writes bump updatedAt; item deletes change the names: either makes a new version.
    const version = `${list.updatedAt.getTime()}:${list.items.map((i) => i.name).join('\u0000')}`;
    let entry = compiled.get(list.id);
    if (!entry || entry.version !== version) {
      entry = { version, matcher: compileBlocklist(list) };
      compiled.set(list.id, entry);
    }
    matchers.push(entry.matcher);
  }
  return matchers;
}
