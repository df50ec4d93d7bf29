// An alert on the wire: bi-scim's signed JSON or a Slack incoming-webhook body, one POST and its outcome, URLs for logs.
import { createHmac } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import { VERSION } from '../version.ts';

export const ALERT_EVENTS = [
  'guard.tripped',
  'user.deprovisioned',
  'admin.granted',
  'admin.revoked',
  'protected.refused',
  'verify.failed',
  'bi.auth_failed',
  'token.expiring',
  'drift.detected',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface Alert {
  event: AlertEvent;
  /** ISO 8601. */
  at: string;
  /** One line a person reads. */
  summary: string;
  /** Ids, names, counts; never secrets. */
  details: Record<string, unknown>;
}

/** What a sink's messages depend on besides the alert. */
export interface SinkWire {
  format: 'json' | 'slack';
  secret: string | null;
  /** From the URL's userinfo (see splitCredentials). */
  authorization: string | null;
}

/** One alert as one sink sends it, on every attempt alike (so a retry carries the same signature). */
export interface AlertMessage {
  event: AlertEvent;
  headers: Record<string, string>;
  body: string;
}

/**
 * JSON: `{ service: "bi-scim", version, id, event, at, summary, details }`. `id` is one UUID per alert, the same on
 * every sink and every retry, so a receiver can ignore a repeat (a retry after a lost answer delivers twice).
 * Slack: `text` (the notification line) plus blocks with the details; Slack ignores signatures, so only JSON is signed.
 */
export function renderAlert(alert: Alert, id: string, { format, secret, authorization }: SinkWire): AlertMessage {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `bi-scim/${VERSION}` };
  if (authorization) headers.authorization = authorization;
  if (format === 'slack') return { event: alert.event, headers, body: JSON.stringify(slackBody(alert)) };
  const body = JSON.stringify({ service: 'bi-scim', version: VERSION, id, event: alert.event, at: alert.at, summary: alert.summary, details: alert.details });
  headers['x-bi-scim-event'] = alert.event;
  if (secret !== null) headers['x-bi-scim-signature'] = signBody(body, secret);
  return { event: alert.event, headers, body };
}

/** `sha256=<hex>`: HMAC-SHA256 of the raw body bytes with the sink's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Slack's limits: at most 10 fields in a section, 2,000 characters in a field, 3,000 in a section's text. */
const SLACK_FIELDS = 10;
const SLACK_FIELD_CHARS = 1_900;
const SLACK_TEXT_CHARS = 2_900;

function slackBody(alert: Alert): Record<string, unknown> {
  const blocks: unknown[] = [{ type: 'section', text: mrkdwn(truncate(`*${escapeSlack(alert.event)}* ${escapeSlack(alert.summary)}`, SLACK_TEXT_CHARS)) }];
  const fields = slackFields(alert.details);
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({ type: 'context', elements: [mrkdwn(`bi-scim ${VERSION} · ${escapeSlack(alert.at)}`)] });
  return { text: truncate(`bi-scim ${escapeSlack(alert.event)}: ${escapeSlack(alert.summary)}`, SLACK_TEXT_CHARS), blocks };
}

function slackFields(details: Record<string, unknown>): unknown[] {
  const entries = Object.entries(details);
  const shown = entries.length > SLACK_FIELDS ? entries.slice(0, SLACK_FIELDS - 1) : entries;
  const fields = shown.map(([name, value]) => mrkdwn(truncate(`*${escapeSlack(name)}*\n${escapeSlack(showValue(value))}`, SLACK_FIELD_CHARS)));
  if (shown.length < entries.length) fields.push(mrkdwn(`…and ${entries.length - shown.length} more`));
  return fields;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });

function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(', ');
  return JSON.stringify(value) ?? String(value);
}

/** Slack reads `<…>` as links and mentions: a userName of `<!channel>` must not page a whole channel. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A webhook URL as logs may show it: scheme and host only. Userinfo and query can hold credentials, and so can the
 * path (a Slack webhook's path is its secret), so none of them is ever logged.
 */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' && !parsed.search ? '' : '/…'}`;
}

/** A webhook URL's userinfo as a Basic Authorization header: undici would drop it from the URL silently. */
export function splitCredentials(webhookUrl: string): { url: string; authorization: string | null } {
  const url = new URL(webhookUrl);
  if (!url.username) return { url: url.href, authorization: null };
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  return { url: url.href, authorization };
}

export type PostOutcome = { ok: true } | { ok: false; retry: boolean; retryAfterMs: number | null; reason: string };

/** One attempt. Network errors, 5xx and 429 may be retried; any other answer outside 2xx (3xx included) may not. */
export async function postAlert(
  url: string,
  message: AlertMessage,
  via: { agent: Dispatcher; stop: AbortSignal; timeoutMs: number; now: () => number },
): Promise<PostOutcome> {
  try {
    const signal = AbortSignal.any([via.stop, AbortSignal.timeout(via.timeoutMs)]);
    const res = await request(url, { method: 'POST', headers: message.headers, body: message.body, dispatcher: via.agent, signal });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump().catch(() => undefined);
      return { ok: true };
    }
    const answer = await readSnippet(res.body);
    const retry = res.statusCode >= 500 || res.statusCode === 429;
    return {
      ok: false,
      retry,
      retryAfterMs: retry ? parseRetryAfter(res.headers['retry-after'], via.now()) : null,
      reason: `HTTP ${res.statusCode} ${answer}`.trim(),
    };
  } catch (err) {
    const { code, message: text } = err as { code?: string; message?: string };
    return { ok: false, retry: true, retryAfterMs: null, reason: [code, text].filter(Boolean).join(': ') || String(err) };
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** The start of a refusal's body (Slack says why there: `invalid_payload`, `no_service`), read no further. */
async function readSnippet(body: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    if (text.length >= 200) break;
  }
  return text.slice(0, 200).replace(/\s+/g, ' ');
}
