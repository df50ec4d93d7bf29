// withLock for both stores: a short ttl frees a dead holder's lock fast; a watchdog renews it while a live holder works.
import { DEFAULT_LOCK_OPTIONS, type LockOptions } from './mapping-store.ts';

/** What a store does to take, renew and give back one lock; `renew` answers false once the lock is not ours. */
export interface LockBackend<Token> {
  acquire(key: string, waitMs: number, ttlMs: number): Promise<Token>;
  renew(key: string, token: Token, ttlMs: number): Promise<boolean>;
  release(key: string, token: Token): Promise<void>;
}

/** Told once per holding when renewal fails; the holder keeps running (it cannot be stopped half-way). */
export type LockLostReporter = (key: string, reason: string) => void;

/** Renewal runs three times per ttl, so one slow or failed renewal still leaves time for the next. */
const RENEWALS_PER_TTL = 3;

/**
 * Renews the lock every ttl/3 until stop() is called. A renewal that finds another token stops the watchdog
 * (the lock expired and was taken: renewing would steal it back); one that fails on the wire is retried on
 * the next tick, while the lock may still be alive.
 */
function startWatchdog<Token>(backend: LockBackend<Token>, key: string, token: Token, ttlMs: number, onLost: LockLostReporter) {
  let inFlight = false;
  let reported = false;
  let stopped = false;
  const report = (reason: string) => {
    // A renewal still in flight when fn settled is not news: the lock is being released anyway.
    if (!reported && !stopped) onLost(key, reason);
    reported = true;
  };
  const timer = setInterval(
    async () => {
      if (inFlight) return;
      inFlight = true;
      try {
        if (!(await backend.renew(key, token, ttlMs))) {
          clearInterval(timer);
          report('it expired and another holder has it');
        }
      } catch (err) {
        report(`renewal failed: ${(err as Error).message}`);
      } finally {
        inFlight = false;
      }
    },
    Math.max(1, Math.floor(ttlMs / RENEWALS_PER_TTL)),
  );
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Runs `fn` holding `key`: waits up to waitMs for it, keeps it alive while fn runs, gives it back when fn settles. */
export async function withRenewedLock<T, Token>(
  backend: LockBackend<Token>,
  key: string,
  fn: () => Promise<T>,
  options: LockOptions,
  onLost: LockLostReporter,
): Promise<T> {
  const { waitMs, ttlMs } = { ...DEFAULT_LOCK_OPTIONS, ...options };
  const token = await backend.acquire(key, waitMs, ttlMs);
  const watchdog = startWatchdog(backend, key, token, ttlMs, onLost);
  try {
    return await fn();
  } finally {
    watchdog.stop();
    await backend.release(key, token);
  }
}
