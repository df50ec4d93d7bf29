// The deprovisioning guard (design §7.3): a budget of deactivations, DELETEs, demotions and member removals per
// sliding window, shared by every replica through the store; over it, deprovisioning waits for a human's approval.
import type { MappingStore } from '../store/mapping-store.ts';
import { ScimError } from '../scim/errors.ts';
import { PromiseCache } from '../cache.ts';
import type { AuditEvent, AuditSink } from './audit.ts';

export interface GuardSettings {
  /** At most this many in one window; 0 turns the guard off. */
  maxDeprovisions: number;
  /** …and at most this share of the active people (the smaller wins). */
  maxPercent: number;
  windowMinutes: number;
}

export const DEFAULT_GUARD: GuardSettings = { maxDeprovisions: 50, maxPercent: 10, windowMinutes: 15 };

export interface GuardState {
  enabled: boolean;
  windowMinutes: number;
  budget: number;
  inWindow: number;
  /** Since when deprovisioning has been held, while it is. */
  tripped: { at: string; inWindow: number; budget: number } | null;
  approval: { until: string; by: string } | null;
}

const WINDOW = 'guard:deprovisions';
const TRIPS = 'guard:trips';
const TRIPPED = 'guard:tripped';
const APPROVAL = 'guard:approval';
/** How long an IdP is asked to wait before retrying a held deprovisioning. */
const RETRY_AFTER_SECONDS = 60;
/** The active headcount for the percentage moves slowly; it is read at most this often. */
const HEADCOUNT_TTL_MS = 5 * 60_000;

export interface GuardDeps {
  store: MappingStore;
  settings: GuardSettings;
  /** Active people in the BI tool, for `maxPercent`. */
  countActivePeople: () => Promise<number>;
  audit: AuditSink;
  now?: () => number;
}

export class DeprovisioningGuard {
  readonly #deps: Required<GuardDeps>;
  readonly #headcount: PromiseCache<'active', number>;

  constructor(deps: GuardDeps) {
    this.#deps = { now: Date.now, ...deps };
    this.#headcount = new PromiseCache({ ttlMs: HEADCOUNT_TTL_MS, now: this.#deps.now });
  }

  get #windowMs(): number {
    return this.#deps.settings.windowMinutes * 60_000;
  }

  async budget(): Promise<number> {
    const { maxDeprovisions, maxPercent } = this.#deps.settings;
    const active = await this.#headcount.get('active', this.#deps.countActivePeople);
    return Math.min(maxDeprovisions, Math.max(1, Math.floor((active * maxPercent) / 100)));
  }

  /** Counts `count` deprovisionings in, or refuses them with a SCIM 503 that says what tripped and how to approve. */
  async admit(count: number, what: string, caller: Pick<AuditEvent, 'requestId' | 'caller'>): Promise<void> {
    if (this.#deps.settings.maxDeprovisions === 0 || count === 0) return;
    const { store, now } = this.#deps;
    const [budget, approval] = await Promise.all([this.budget(), store.getValue(APPROVAL)]);
    const result = await store.admit(WINDOW, { nowMs: now(), windowMs: this.#windowMs, budget, count, force: approval !== null });
    if (result.admitted) return;
    await this.#trip(result.inWindow, budget, what, caller);
    const detail =
      `Deprovisioning is held: ${result.inWindow} deprovisionings in the last ${this.#deps.settings.windowMinutes} minutes reached the budget of ${budget} ` +
      `(the smaller of ${this.#deps.settings.maxDeprovisions} and ${this.#deps.settings.maxPercent}% of the active people). Creates and updates go on. ` +
      'An operator approves with `bi-scim guard approve --for 1h --by <name>` (or on the console).';
    throw new ScimError('unavailable', detail, { retryAfter: RETRY_AFTER_SECONDS, refusal: true });
  }

  /** The first refusal of a trip is one `guard.tripped` event (and alert), however many replicas refuse at once. */
  async #trip(inWindow: number, budget: number, what: string, caller: Pick<AuditEvent, 'requestId' | 'caller'>): Promise<void> {
    const { store, now, audit } = this.#deps;
    const first = await store.admit(TRIPS, { nowMs: now(), windowMs: this.#windowMs, budget: 1, count: 1, force: false });
    if (!first.admitted) return;
    const at = new Date(now()).toISOString();
    await store.setValue(TRIPPED, { at, inWindow, budget }, this.#windowMs);
    await audit.record({
      at,
      ...caller,
      action: 'guard.tripped',
      resourceType: 'Guard',
      resourceId: null,
      resourceName: null,
      changes: [],
      biCalls: [],
      outcome: 'success',
      reason: `${inWindow} deprovisionings in ${this.#deps.settings.windowMinutes} minutes reached the budget of ${budget}; held: ${what}`,
    });
  }

  async state(): Promise<GuardState> {
    const { store, now, settings } = this.#deps;
    const [budget, inWindow, tripped, approval] = await Promise.all([
      this.budget(),
      store.countWindow(WINDOW, now(), this.#windowMs),
      store.getValue(TRIPPED),
      store.getValue(APPROVAL),
    ]);
    return {
      enabled: settings.maxDeprovisions > 0,
      windowMinutes: settings.windowMinutes,
      budget,
      inWindow,
      tripped: tripped as GuardState['tripped'],
      approval: approval as GuardState['approval'],
    };
  }

  /** Lets held deprovisioning through (on the IdP's retries) until `forMs` from now; an audited act. */
  async approve(forMs: number, by: string): Promise<GuardState> {
    const { store, now, audit } = this.#deps;
    const until = new Date(now() + forMs).toISOString();
    await store.setValue(APPROVAL, { until, by }, forMs);
    await store.deleteValue(TRIPPED);
    await audit.record(operatorEvent(now(), 'guard.approve', by, [{ attribute: 'approval', after: { until, by } }]));
    return this.state();
  }

  /** Empties the window and drops any approval and trip: a fresh budget. */
  async reset(by: string): Promise<GuardState> {
    const { store, now, audit } = this.#deps;
    await Promise.all([store.clearWindow(WINDOW), store.clearWindow(TRIPS), store.deleteValue(TRIPPED), store.deleteValue(APPROVAL)]);
    await audit.record(operatorEvent(now(), 'guard.reset', by, []));
    return this.state();
  }
}

function operatorEvent(nowMs: number, action: 'guard.approve' | 'guard.reset', by: string, changes: AuditEvent['changes']): AuditEvent {
  return {
    at: new Date(nowMs).toISOString(),
    requestId: null,
    caller: null,
    actor: by,
    action,
    resourceType: 'Guard',
    resourceId: null,
    resourceName: null,
    changes,
    biCalls: [],
    outcome: 'success',
  };
}
