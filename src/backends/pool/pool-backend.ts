// Several engines behind one deployment (docs/capacity.md, "Backend pools"). A request goes to a
// member of the best priority group whose breaker lets it through, drawn by weight; if that member
// fails before the first event (connect error, timeout, 5xx, 429) the request goes to another
// member of the same group, then of the next groups, each member at most once. Once an event has
// been yielded the caller owns the answer: an error then passes through unchanged, since replaying
// on another member would repeat or contradict text the client already has.
// The member that answers is written to `request.served.by` before the first event, so the data
// plane can name it (x-lapis-backend) before it sends a byte.

import { BackendUnavailableError, UpstreamHttpError } from '../../core/errors.js';
import type {
  BackendCapabilities,
  ChatGenerationRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationEvent,
  InferenceBackend,
  ServedBy,
} from '../../core/inference.js';
import { Breaker, type BreakerState } from './breaker.js';
import { verdictOf, type Verdict } from './failures.js';

export interface PoolMember {
  name: string;
  /** Lower is preferred. */
  priority: number;
  weight: number;
  backend: InferenceBackend;
}

export interface PoolLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PoolOptions {
  breaker?: { failures?: number; cooldownMs?: number };
  /** intervalMs 0 = no active checks. */
  healthCheck?: { intervalMs?: number; path?: string };
  /** Uniform in [0, 1): the weighted draw. Injected by tests. */
  random?: () => number;
  /** Milliseconds: the breakers' clock. Injected by tests. */
  now?: () => number;
  log?: PoolLog;
  /** Called once when every member has died for good (e.g. all their model processes crashed). */
  onFailure?: (reason: string) => void;
}

export const POOL_DEFAULTS = { failures: 3, cooldownMs: 30_000, intervalMs: 10_000 };

interface Member extends PoolMember {
  breaker: Breaker;
  /** Why its engine died for good; it takes no more requests. */
  dead?: string;
  checking: boolean;
}

export interface MemberStatus {
  name: string;
  state: BreakerState | 'dead';
}

export class PoolBackend implements InferenceBackend {
  readonly capabilities: BackendCapabilities;
  readonly countTokens?: (texts: string[]) => Promise<number>;
  /** By priority, then in the order given (the first is the preferred member). */
  private readonly members: Member[];
  /** Members grouped by priority, best first. */
  private readonly groups: Member[][];
  private readonly random: () => number;
  private readonly healthPath: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    members: PoolMember[],
    private readonly options: PoolOptions = {},
  ) {
    if (members.length === 0) throw new Error('a pool needs at least one member');
    const now = options.now ?? Date.now;
    const failures = options.breaker?.failures ?? POOL_DEFAULTS.failures;
    const cooldownMs = options.breaker?.cooldownMs ?? POOL_DEFAULTS.cooldownMs;
    this.members = [...members]
      .sort((a, b) => a.priority - b.priority)
      .map((m) => ({
        ...m,
        checking: false,
        breaker: new Breaker({ failures, cooldownMs, now, onChange: (state, why) => this.logChange(m.name, state, why) }),
      }));
    this.groups = [];
    for (const m of this.members) {
      const last = this.groups.at(-1);
      if (last !== undefined && last[0]!.priority === m.priority) last.push(m);
      else this.groups.push([m]);
    }
    this.random = options.random ?? Math.random;
    this.capabilities = intersect(this.members.map((m) => m.backend.capabilities));
    const preferred = this.members[0]!.backend;
    // Admission estimates in the preferred member's tokenizer: the one most requests meet.
    if (preferred.countTokens !== undefined) this.countTokens = (texts) => preferred.countTokens!(texts);
    this.healthPath = options.healthCheck?.path;
    const intervalMs = options.healthCheck?.intervalMs ?? POOL_DEFAULTS.intervalMs;
    if (intervalMs > 0 && this.members.some((m) => m.backend.health !== undefined)) {
      this.timer = setInterval(() => void this.checkHealth(), intervalMs);
      // Health checks alone never keep the process alive.
      this.timer.unref();
    }
  }

  /** The preferred member's model: what responses report, whichever member answered. */
  get modelId(): string {
    return this.members[0]!.backend.modelId;
  }

  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent> {
    return this.generate(request, (backend) => backend.chat(request));
  }

  complete(request: CompletionRequest): AsyncIterable<GenerationEvent> {
    return this.generate(request, (backend) => backend.complete(request));
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const tried = new Set<Member>();
    let last: unknown;
    for (;;) {
      const member = this.pick(tried);
      if (member === undefined) throw last ?? this.unavailable();
      tried.add(member);
      const trial = member.breaker.begin();
      try {
        const result = await member.backend.embed(request);
        member.breaker.succeeded(trial);
        markServed(request.served, member);
        return result;
      } catch (err) {
        if (!this.judge(member, trial, err, request.signal)) throw err;
        last = err;
      }
    }
  }

  /** Each member's breaker, for tests and diagnostics. */
  status(): MemberStatus[] {
    return this.members.map((m) => ({ name: m.name, state: m.dead !== undefined ? 'dead' : m.breaker.state() }));
  }

  /** One round of active health checks (the timer's job; tests call it to step). */
  async checkHealth(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        // A check still running (a slow upstream) is not doubled.
        if (m.checking || m.dead !== undefined || m.backend.health === undefined || this.closed) return;
        m.checking = true;
        try {
          const ok = await m.backend.health(this.healthPath).catch(() => false);
          if (this.closed) return;
          if (ok) m.breaker.healthPassed();
          else m.breaker.healthFailed();
        } finally {
          m.checking = false;
        }
      }),
    );
  }

  /** A member's engine died for good (its model process crashed): it takes no more requests. */
  memberFailed(memberName: string, reason: string): void {
    const member = this.members.find((m) => m.name === memberName);
    if (member === undefined || member.dead !== undefined) return;
    member.dead = reason;
    this.options.log?.warn({ member: memberName, reason }, 'pool member failed');
    if (this.members.every((m) => m.dead !== undefined)) {
      this.options.onFailure?.(`every member of the pool failed: ${this.members.map((m) => `'${m.name}': ${m.dead}`).join('; ')}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(this.members.map((m) => m.backend.close()));
  }

  private async *generate(
    request: { signal: AbortSignal; served?: ServedBy },
    call: (backend: InferenceBackend) => AsyncIterable<GenerationEvent>,
  ): AsyncGenerator<GenerationEvent> {
    const tried = new Set<Member>();
    let last: unknown;
    for (;;) {
      const member = this.pick(tried);
      if (member === undefined) throw last ?? this.unavailable();
      tried.add(member);
      const trial = member.breaker.begin();
      let yielded = false;
      let judged = false;
      try {
        for await (const event of call(member.backend)) {
          if (!yielded) {
            yielded = true;
            markServed(request.served, member);
          }
          yield event;
        }
        judged = true;
        // A member that stopped because the caller went away, before it said anything, told us nothing.
        if (yielded || !request.signal.aborted) member.breaker.succeeded(trial);
        else member.breaker.released(trial);
        return;
      } catch (err) {
        judged = true;
        const retry = this.judge(member, trial, err, request.signal);
        if (!retry || yielded) throw err;
        last = err;
      } finally {
        // The consumer stopped reading (return() at a yield): what it read came through fine.
        if (!judged) {
          if (yielded) member.breaker.succeeded(trial);
          else member.breaker.released(trial);
        }
      }
    }
  }

  /** Records a member's failure on its breaker; true when the request may go to another member. */
  private judge(member: Member, trial: boolean, err: unknown, signal: AbortSignal): boolean {
    if (signal.aborted) {
      member.breaker.released(trial);
      return false;
    }
    const verdict: Verdict = verdictOf(err);
    if (verdict.kind === 'failed') {
      // Logged when it opens the breaker, not per request: a failing member under load would flood the log.
      member.breaker.failed(trial, verdict.retryAfterMs, err instanceof Error ? err.message : String(err));
      return true;
    }
    if (verdict.kind === 'answered') member.breaker.succeeded(trial);
    else member.breaker.released(trial);
    return false;
  }

  /** Weighted draw among the untried members of the best group that has any to offer. */
  private pick(tried: Set<Member>): Member | undefined {
    for (const group of this.groups) {
      const open = group.filter((m) => !tried.has(m) && m.dead === undefined && m.breaker.available());
      if (open.length === 1) return open[0];
      if (open.length > 1) return weighted(open, this.random());
    }
    return undefined;
  }

  /**
   * Nothing was tried: every live member's breaker is open. When each of them is waiting out
   * its upstream's Retry-After, the client gets a 429 that says when the first comes back (the
   * SDKs wait exactly that long); otherwise a 503.
   */
  private unavailable(): Error {
    const live = this.members.filter((m) => m.dead === undefined);
    if (live.length === 0) return new BackendUnavailableError(`every member of the pool failed: ${this.members.map((m) => `'${m.name}': ${m.dead}`).join('; ')}`);
    const waitMs = Math.min(...live.map((m) => m.breaker.reopensInMs()));
    const message = `no member of the pool can take requests now (circuit open: ${live.map((m) => `'${m.name}'`).join(', ')}); retry in ${Math.ceil(waitMs / 1000)} s`;
    if (live.every((m) => m.breaker.throttled())) return new UpstreamHttpError(429, message, { code: '429', retryAfterMs: Math.max(1, waitMs) });
    return new BackendUnavailableError(message);
  }

  private logChange(member: string, state: 'open' | 'closed', why: string): void {
    if (state === 'open') this.options.log?.warn({ member, why }, 'pool member circuit opened');
    else this.options.log?.info({ member, why }, 'pool member circuit closed');
  }
}

function markServed(served: ServedBy | undefined, member: Member): void {
  if (served !== undefined) served.by = member.name;
}

function weighted<T extends { weight: number }>(members: T[], r: number): T {
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  let left = r * total;
  for (const m of members) {
    left -= m.weight;
    if (left < 0) return m;
  }
  return members.at(-1)!;
}

const FLAGS = ['chat', 'completions', 'embeddings', 'tools', 'jsonSchema', 'logprobs', 'vision'] as const;

/** What every member can do: a request the pool accepts must be servable by whichever answers. */
export function intersect(all: BackendCapabilities[]): BackendCapabilities {
  const caps = Object.fromEntries(FLAGS.map((f) => [f, all.every((c) => c[f])])) as unknown as BackendCapabilities;
  for (const key of ['contextSize', 'embeddingDimensions'] as const) {
    const known = all.map((c) => c[key]).filter((v): v is number => v !== undefined);
    if (known.length > 0) caps[key] = Math.min(...known);
  }
  return caps;
}
