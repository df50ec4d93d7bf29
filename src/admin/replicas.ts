// Replicas seen recently and the IdP callers they served: each replica writes one small heartbeat entry into the store.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MappingStore } from '../store/mapping-store.ts';

const REPLICAS = 'console:replicas';
/** How often a replica writes its heartbeat; the console calls a replica gone after three missed beats. */
export const HEARTBEAT_EVERY_MS = 15_000;
const SEEN_RECENTLY_MS = 3 * HEARTBEAT_EVERY_MS;
const HOUR_MS = 3_600_000;
/** Caller counts are kept for a day; a replica silent for longer is forgotten. */
const KEEP_MS = 24 * HOUR_MS;
/** Distinct user agents kept per caller and hour (anyone may send any user agent to a refused request). */
const MAX_AGENTS = 5;
const MAX_AGENT_CHARS = 200;
const OTHER_AGENTS = '(other user agents)';

/** Requests from one token in one hour; `errors` are answers of 400 and above. */
export interface CallerCount {
  requests: number;
  errors: number;
  userAgents: Record<string, number>;
}

/** Hour (ISO, e.g. 2026-12-03T06:00:00.000Z) → token name ('' for requests without a valid token) → counts. */
type HourlyCallers = Record<string, Record<string, CallerCount>>;

export interface ReplicaBeat {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  stoppedAt?: string;
  callers: HourlyCallers;
}

export interface Replica extends ReplicaBeat {
  status: 'up' | 'stopped' | 'silent';
}

export interface CallerSummary {
  token: string | null;
  requests: number;
  errors: number;
  userAgents: string[];
}

const hourOf = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();

export class ReplicaHeartbeat {
  readonly #store: MappingStore;
  readonly #now: () => number;
  readonly #beat: ReplicaBeat;
  #timer: NodeJS.Timeout | null = null;

  constructor(store: MappingStore, version: string, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    const at = new Date(now()).toISOString();
    const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.#beat = { id, host: hostname(), pid: process.pid, version, startedAt: at, lastSeenAt: at, callers: {} };
  }

  /** Counts one SCIM request of a caller (null: no valid token); written with the next beat. */
  countRequest(token: string | null, userAgent: string | null, status: number): void {
    const hourKey = hourOf(this.#now());
    const hour = this.#beat.callers[hourKey] ?? {};
    this.#beat.callers[hourKey] = hour;
    const count = hour[token ?? ''] ?? { requests: 0, errors: 0, userAgents: {} };
    hour[token ?? ''] = count;
    count.requests += 1;
    if (status >= 400) count.errors += 1;
    const agent = (userAgent ?? '(none)').slice(0, MAX_AGENT_CHARS);
    const known = agent in count.userAgents || Object.keys(count.userAgents).length < MAX_AGENTS;
    const key = known ? agent : OTHER_AGENTS;
    count.userAgents[key] = (count.userAgents[key] ?? 0) + 1;
  }

  /** Writes this replica's entry: when it was last seen, and its caller counts of the last day. */
  async beat(): Promise<void> {
    const now = this.#now();
    for (const hour of Object.keys(this.#beat.callers)) if (Date.parse(hour) <= now - KEEP_MS) delete this.#beat.callers[hour];
    this.#beat.lastSeenAt = new Date(now).toISOString();
    await this.#store.putEntry(REPLICAS, this.#beat.id, this.#beat);
  }

  start(onError: (err: unknown) => void): void {
    const tick = () => void this.beat().catch(onError);
    tick();
    this.#timer = setInterval(tick, HEARTBEAT_EVERY_MS);
    this.#timer.unref();
  }

  /** A last beat that says the replica stopped, so the console does not show it as silent. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#beat.stoppedAt = new Date(this.#now()).toISOString();
    await this.beat();
  }
}

/** Every replica that beat in the last day, newest first; older entries are dropped from the store as they are read. */
export async function readReplicas(store: MappingStore, now = Date.now()): Promise<Replica[]> {
  const entries = Object.values(await store.getEntries(REPLICAS)) as ReplicaBeat[];
  const kept: Replica[] = [];
  for (const beat of entries) {
    const age = now - Date.parse(beat.lastSeenAt);
    if (age > KEEP_MS) await store.deleteEntry(REPLICAS, beat.id);
    else kept.push({ ...beat, status: beat.stoppedAt ? 'stopped' : age <= SEEN_RECENTLY_MS ? 'up' : 'silent' });
  }
  return kept.sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
}

/** Requests and errors per caller over the last 24 hours, summed over every replica. */
export function summarizeCallers(replicas: ReplicaBeat[], now = Date.now()): CallerSummary[] {
  const byToken = new Map<string, { requests: number; errors: number; agents: Map<string, number> }>();
  for (const replica of replicas) {
    for (const [hour, callers] of Object.entries(replica.callers)) {
      if (Date.parse(hour) <= now - KEEP_MS) continue;
      for (const [token, count] of Object.entries(callers)) {
        const sum = byToken.get(token) ?? { requests: 0, errors: 0, agents: new Map<string, number>() };
        sum.requests += count.requests;
        sum.errors += count.errors;
        for (const [agent, n] of Object.entries(count.userAgents)) sum.agents.set(agent, (sum.agents.get(agent) ?? 0) + n);
        byToken.set(token, sum);
      }
    }
  }
  return [...byToken]
    .map(([token, s]) => ({
      token: token === '' ? null : token,
      requests: s.requests,
      errors: s.errors,
      userAgents: [...s.agents].sort((a, b) => b[1] - a[1]).map(([agent]) => agent),
    }))
    .sort((a, b) => b.requests - a.requests);
}
