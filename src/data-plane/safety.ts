// The safety stages of an inference request: the deployment's content-filter policy applied to
// the prompt (a blocking hit is Azure's 400 content_filter) and to the completion — folded
// answers are checked whole; streams are checked segment by segment, held back until checked
// in the Default mode, released at once with annotation events after them in the
// Asynchronous_filter mode (shared/reference/azure-api.md §3.3).

import type { ChatMessage, Deployment, GenerationEvent, RaiPolicyContent, Store } from '../core/index.js';
import { resolveRaiPolicy } from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import { compileBlocklist, type BlocklistMatcher } from '../safety/blocklists.js';
import type { SafetyClassifier } from '../safety/classifier/index.js';
import { evaluate, type FilterResults, type TextToCheck } from '../safety/policy.js';

/** What a deployment that names no policy gets, as on Azure. */
export const DEFAULT_POLICY = 'Microsoft.DefaultV2';
/** Characters of a stream checked at a time (Azure signals within ~1,000 characters). */
const SEGMENT = 200;

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
  constructor(
    private readonly classifier: SafetyClassifier,
    private readonly policy: RaiPolicyContent,
    private readonly blocklists: readonly BlocklistMatcher[],
  ) {}

  get asynchronous(): boolean {
    return this.policy.mode === 'Asynchronous_filter' || this.policy.mode === 'Deferred';
  }

  /** Annotations of the prompt; throws Azure's content_filter 400 when a blocking filter fires. */
  checkPrompt(input: TextToCheck): FilterResults {
    const { results, filtered } = evaluate(this.classifier, this.policy, 'Prompt', input, this.blocklists);
    if (filtered) throw errors.contentFiltered(results);
    return results;
  }

  checkCompletion(text: string): { results: FilterResults; filtered: boolean } {
    return evaluate(this.classifier, this.policy, 'Completion', { text }, this.blocklists);
  }

  /** The stream with each choice's text checked in segments (see the file's comment). */
  async *filterStream(events: AsyncIterable<GenerationEvent>): AsyncGenerator<FilteredEvent> {
    const held = new Map<number, { text: string; checked: number; stopped: boolean }>();
    const state = (choice: number) => held.get(choice) ?? held.set(choice, { text: '', checked: 0, stopped: false }).get(choice)!;
    const check = (choice: number, final: boolean): FilteredEvent[] => {
      const s = state(choice);
      const pending = s.text.length - s.checked;
      if (pending === 0 || (!final && pending < SEGMENT)) return [];
      const segment = s.text.slice(s.checked);
      const { results, filtered } = this.checkCompletion(segment);
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
        yield* check(ev.choice, false);
      } else if (ev.type === 'done') {
        yield* check(ev.choice, true);
        if (!state(ev.choice).stopped) yield ev;
      } else {
        yield ev;
      }
    }
  }
}

/** Compiled blocklists, kept while the stored blocklist is unchanged. */
const compiled = new Map<string, { version: string; matcher: BlocklistMatcher }>();

/** The guard of a deployment: its policy (or the default) and the blocklists that policy uses. */
export async function guardFor(store: Store, classifier: SafetyClassifier, deployment: Deployment): Promise<Guard> {
  const name = typeof deployment.properties.raiPolicyName === 'string' ? deployment.properties.raiPolicyName : DEFAULT_POLICY;
  // The control plane refuses deployments naming a missing policy; one deleted since is a server fault.
  const policy = await resolveRaiPolicy(store.raiPolicies, deployment.accountId, name);
  if (!policy) throw errors.internalError();
  const matchers: BlocklistMatcher[] = [];
  for (const ref of policy.customBlocklists) {
    const list = await store.raiBlocklists.get(deployment.accountId, ref.blocklistName);
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
  return new Guard(classifier, policy, matchers);
}
