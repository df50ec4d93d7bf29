// Bearer tokens that say when they were last used, how old they are, and when they are due for rotation.
import type { ApiToken, MappingStore } from '../store/mapping-store.ts';
import type { NamedToken } from '../tokens.ts';

const USE_MAP = 'token-use';
/** A request touches its token's last use at most this often per process: one store write a minute, not per request. */
const TOUCH_EVERY_MS = 60_000;
/** A token whose expiry is this close is reported as expiring. */
export const EXPIRY_WARNING_MS = 14 * 86_400_000;

export interface TokenUse {
  /** When bi-scim first saw the token in use: the age of a BI_SCIM_TOKENS token, whose creation it cannot know. */
  firstSeenAt: string;
  lastUsedAt: string;
  lastUserAgent: string | null;
}

export interface TokenReport {
  name: string;
  source: 'BI_SCIM_TOKENS' | 'store';
  createdAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUserAgent: string | null;
  /** From creation, or from first use for tokens from the environment; null when never seen. */
  ageSeconds: number | null;
  rotationDue: boolean;
  expired: boolean;
  expiresSoon: boolean;
  /** A dry-run token: its writes only make a plan. */
  dryRun: boolean;
}

export class TokenUsage {
  readonly #store: MappingStore;
  readonly #now: () => number;
  readonly #touched = new Map<string, number>();

  constructor(store: MappingStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Records a use without delaying the request; a store outage only loses this sample. */
  touch(name: string, userAgent: string | null): void {
    const now = this.#now();
    if (now - (this.#touched.get(name) ?? Number.NEGATIVE_INFINITY) < TOUCH_EVERY_MS) return;
    this.#touched.set(name, now);
    void this.#record(name, userAgent, new Date(now).toISOString()).catch(() => this.#touched.delete(name));
  }

  async #record(name: string, userAgent: string | null, at: string): Promise<void> {
    const previous = (await this.#store.getEntries(USE_MAP))[name] as TokenUse | undefined;
    await this.#store.putEntry(USE_MAP, name, { firstSeenAt: previous?.firstSeenAt ?? at, lastUsedAt: at, lastUserAgent: userAgent } satisfies TokenUse);
  }

  async uses(): Promise<Record<string, TokenUse>> {
    return (await this.#store.getEntries(USE_MAP)) as Record<string, TokenUse>;
  }
}

/** Every token bi-scim accepts, from the environment and the store, with its use, age and rotation state. */
export async function reportTokens(store: MappingStore, configured: NamedToken[], rotateAfterDays: number, now = Date.now()): Promise<TokenReport[]> {
  const [stored, uses] = await Promise.all([store.listTokens(), new TokenUsage(store).uses()]);
  const row = (name: string, source: TokenReport['source'], token: ApiToken | null): TokenReport => {
    const use = uses[name];
    const since = token?.createdAt ?? use?.firstSeenAt ?? null;
    const ageSeconds = since === null ? null : Math.max(0, Math.round((now - Date.parse(since)) / 1000));
    const expiresAt = token?.expiresAt ?? null;
    const expiry = expiresAt === null ? null : Date.parse(expiresAt);
    return {
      name,
      source,
      createdAt: token?.createdAt ?? null,
      expiresAt,
      lastUsedAt: use?.lastUsedAt ?? null,
      lastUserAgent: use?.lastUserAgent ?? null,
      ageSeconds,
      rotationDue: ageSeconds !== null && ageSeconds > rotateAfterDays * 86_400,
      expired: expiry !== null && expiry <= now,
      expiresSoon: expiry !== null && expiry > now && expiry - now <= EXPIRY_WARNING_MS,
      dryRun: token?.dryRun === true,
    };
  };
  return [...configured.map((t) => row(t.name, 'BI_SCIM_TOKENS', null)), ...stored.map((t) => row(t.name, 'store', t))];
}
