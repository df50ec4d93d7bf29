// Webhook alerts (design §7.4): events sent to JSON or Slack sinks off the request path, signed, retried, bounded.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { Metrics } from '../metrics.ts';
import { ALERT_EVENTS, type Alert, type AlertEvent } from './alert-formats.ts';
import { type AlertMessage, postAlert, redactUrl, renderAlert, type SinkWire, splitCredentials } from './alert-formats.ts';

// The event names are the wire's vocabulary; callers import everything alerts from here.
export { ALERT_EVENTS, type Alert, type AlertEvent };

/** Every leaver is one alert, too many for most teams: a sink gets `user.deprovisioned` only when it lists it. */
const DEFAULT_EVENTS: readonly AlertEvent[] = ALERT_EVENTS.filter((e) => e !== 'user.deprovisioned');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const webhook = z
  .object({
    /** The sink's name in metrics and logs; its URL's host when absent. */
    name: z.string().min(1).max(64).optional(),
    url: z.url({ protocol: /^https?$/ }),
    format: z.enum(['json', 'slack']).default('json'),
    /** The environment variable holding the HMAC secret of a JSON sink (unsigned without it). */
    secretEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
    /** The events this sink receives; absent means every event but `user.deprovisioned`. */
    events: z.array(z.enum(ALERT_EVENTS)).min(1, 'list at least one event, or leave events out for the default').optional(),
  })
  .strict()
  .refine((w) => !(w.format === 'slack' && w.secretEnv), { path: ['secretEnv'], message: 'Slack ignores signatures: only JSON sinks are signed' });

/** The config file's `alerts` key: `{ webhooks: [{ name?, url, format, secretEnv?, events? }] }`. */
export const alertsConfig = z
  .object({ webhooks: z.array(webhook).default([]) })
  .strict()
  .superRefine(({ webhooks }, ctx) => {
    // The name labels metrics and logs, so two sinks must not share one.
    const names = webhooks.map(sinkName);
    for (const [i, name] of names.entries()) {
      if (names.indexOf(name) === i) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['webhooks', i, 'name'],
        message: `another webhook is also named "${name}" (its name, else its URL's host): give each its own name`,
      });
    }
  })
  .prefault({});
export type AlertsConfig = z.output<typeof alertsConfig>;
export type WebhookConfig = AlertsConfig['webhooks'][number];

export function sinkName(webhook: Pick<WebhookConfig, 'name' | 'url'>): string {
  return webhook.name ?? new URL(webhook.url).host;
}

/** Config problems only the environment shows: a sink's secret variable unset or empty (paths as in the file). */
export function checkAlertSecrets(config: AlertsConfig, env: Record<string, string | undefined>): string[] {
  return config.webhooks.flatMap((w, i) => (w.secretEnv && !env[w.secretEnv] ? [`alerts.webhooks.${i}.secretEnv: ${w.secretEnv} is not set`] : []));
}

export interface Alerts {
  /** Queues the alert for every sink that wants it and returns at once; never throws. */
  notify(alert: Alert): void;
  /** Stops taking alerts and tries to deliver the queued ones for at most timeoutMs; what is left is dropped. */
  close(timeoutMs?: number): Promise<void>;
}

export const noAlerts: Alerts = { notify: () => undefined, close: async () => undefined };

export interface AlertsOptions {
  webhooks: WebhookConfig[];
  env: Record<string, string | undefined>;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
  /** Alerts waiting per sink, besides the one being sent; more are dropped. */
  queueSize?: number;
  /** Attempts per alert, the first included. */
  maxAttempts?: number;
  /** Per attempt: connect, send and answer. */
  timeoutMs?: number;
  /** The first retry's delay; each next one doubles, with jitter. */
  backoffMs?: number;
}

type Result = 'delivered' | 'failed' | 'dropped';
/** No wait between attempts exceeds this, not even one a Retry-After asks for. */
const MAX_DELAY_MS = 60_000;

interface Delivery extends Required<Omit<AlertsOptions, 'webhooks' | 'env'>> {
  agent: Dispatcher;
  stop: AbortSignal;
}

interface Sink extends SinkWire {
  name: string;
  /** Without userinfo, which travels as `authorization`. */
  url: string;
  events: ReadonlySet<AlertEvent>;
}

/** Sends alerts to the configured webhooks, one queue and one delivery at a time per sink (so each keeps its order). */
export function createAlerts(options: AlertsOptions): Alerts {
  const { webhooks, env, logger, metrics, now = Date.now, queueSize = 100, maxAttempts = 5, timeoutMs = 5_000, backoffMs = 1_000 } = options;
  if (webhooks.length === 0) return noAlerts;
  const problems = checkAlertSecrets({ webhooks }, env);
  if (problems.length > 0) throw new Error(`Invalid alerts configuration: ${problems.join('; ')}`);
  const stop = new AbortController();
  const agent = new Agent({ connect: { timeout: timeoutMs } });
  const delivery: Delivery = { logger, metrics, now, queueSize, maxAttempts, timeoutMs, backoffMs, agent, stop: stop.signal };
  const sinks = webhooks.map((w) => new SinkQueue(resolveSink(w, env), delivery));
  let closing: Promise<void> | null = null;
  return {
    notify(alert) {
      try {
        const id = randomUUID();
        for (const sink of sinks) sink.accept(alert, id, closing !== null);
      } catch (err) {
        logger.error({ err, event: alert?.event }, 'alert could not be queued');
      }
    },
    close(closeMs = 5_000) {
      closing ??= (async () => {
        const deadline = setTimeout(() => stop.abort(), closeMs);
        await Promise.all(sinks.map((sink) => sink.idle()));
        clearTimeout(deadline);
        stop.abort();
        for (const sink of sinks) sink.reportAtClose();
        await agent.destroy();
      })();
      return closing;
    },
  };
}

function resolveSink(webhook: WebhookConfig, env: Record<string, string | undefined>): Sink {
  return {
    name: sinkName(webhook),
    ...splitCredentials(webhook.url),
    format: webhook.format,
    secret: webhook.secretEnv ? (env[webhook.secretEnv] ?? null) : null,
    events: new Set(webhook.events ?? DEFAULT_EVENTS),
  };
}

/** A failure burst: from a sink's first failed attempt (or drop) until a delivery empties its queue; one line at each end. */
type Trouble = { failedAttempts: number; failed: number; dropped: number };

class SinkQueue {
  readonly #sink: Sink;
  readonly #d: Delivery;
  readonly #queue: AlertMessage[] = [];
  #draining: Promise<void> | null = null;
  #trouble: Trouble | null = null;
  /** Alerts dropped because bi-scim was shutting down: counted, and reported in one line at close. */
  #droppedAtShutdown = 0;

  constructor(sink: Sink, delivery: Delivery) {
    this.#sink = sink;
    this.#d = delivery;
  }

  accept(alert: Alert, id: string, closed: boolean): void {
    if (!this.#sink.events.has(alert.event)) return;
    const message = closed ? null : this.#render(alert, id);
    if (closed) this.#count('dropped');
    else if (!message) this.#count('failed', `${alert.event} could not be rendered`);
    else if (this.#queue.length >= this.#d.queueSize) this.#count('dropped', `the queue is full (${this.#d.queueSize} waiting)`);
    else {
      this.#queue.push(message);
      // #drain runs to its first await before returning, so it has taken this message when #draining is set.
      this.#draining ??= this.#drain().catch((err) => {
        // Only a throwing logger or metrics could get here; a rejection left unhandled would end the process.
        this.#draining = null;
        this.#d.logger.error({ err, sink: this.#sink.name }, 'alert delivery stopped');
      });
    }
  }

  /** Null for details JSON cannot hold (a cycle, a BigInt): that alert fails here, whatever the sink. */
  #render(alert: Alert, id: string): AlertMessage | null {
    try {
      return renderAlert(alert, id, this.#sink);
    } catch {
      return null;
    }
  }

  idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  reportAtClose(): void {
    if (!this.#trouble && this.#droppedAtShutdown === 0) return;
    const { name } = this.#sink;
    this.#d.logger.warn({ sink: name, ...this.#trouble, droppedAtShutdown: this.#droppedAtShutdown }, `alert sink ${name} had undelivered alerts at shutdown`);
  }

  async #drain(): Promise<void> {
    for (let message = this.#queue.shift(); message; message = this.#queue.shift()) {
      this.#count(await this.#deliver(message));
    }
    this.#draining = null;
  }

  /** Retries network errors, 5xx and 429 with exponential backoff and jitter (or the Retry-After asked for). */
  async #deliver(message: AlertMessage): Promise<Result> {
    const { stop, maxAttempts, backoffMs } = this.#d;
    for (let attempt = 1; !stop.aborted; attempt++) {
      const outcome = await postAlert(this.#sink.url, message, this.#d);
      if (outcome.ok) return 'delivered';
      if (stop.aborted) break;
      this.#failing(`${message.event}: ${outcome.reason}`);
      this.#trouble!.failedAttempts++;
      if (!outcome.retry || attempt >= maxAttempts) return 'failed';
      const backoff = backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      await sleep(Math.min(outcome.retryAfterMs ?? backoff, MAX_DELAY_MS), undefined, { signal: stop, ref: false }).catch(() => undefined);
    }
    return 'dropped';
  }

  #failing(reason: string): void {
    if (this.#trouble) return;
    this.#trouble = { failedAttempts: 0, failed: 0, dropped: 0 };
    const { name, url } = this.#sink;
    this.#d.logger.warn({ sink: name, target: redactUrl(url), reason }, `alert sink ${name} is failing: ${reason} (logged once until it recovers)`);
  }

  /** Every alert a sink takes ends here once. A reason starts a failure burst if none is on; a drop without one is shutdown's. */
  #count(result: Result, reason?: string): void {
    this.#d.metrics.alertDelivery(this.#sink.name, result);
    if (reason) this.#failing(reason);
    if (result === 'dropped' && !reason) this.#droppedAtShutdown++;
    else if (result !== 'delivered') this.#trouble![result]++;
    else if (this.#trouble && this.#queue.length === 0) {
      // Caught up, not merely one delivery between drops: an overloaded sink stays one burst, one line.
      this.#d.logger.info({ sink: this.#sink.name, ...this.#trouble }, `alert sink ${this.#sink.name} delivers again`);
      this.#trouble = null;
    }
  }
}
