// One fuzzed request and its answer: what it is, how it prints in a report, and what every answer must satisfy.
import fc from 'fast-check';
import { URN } from '../../src/scim/urns.ts';
import { SLOWEST_ALLOWED_MS } from './settings.ts';

/** `path` follows the SCIM base path (query included); `null` leaves out a default header. */
export interface FuzzRequest {
  method: string;
  path: string;
  /** `path` is from the root (/healthz), not under the SCIM base path. */
  outsideBase?: boolean;
  headers?: Record<string, string | null>;
  body?: string | Uint8Array;
}

export interface FuzzAnswer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/** Huge values print as their head, their length and their tail, so a counterexample stays readable. */
export function shorten(text: string, keep = 160): string {
  if (text.length <= keep * 2) return text;
  return `${text.slice(0, keep)}…(${(text.length - keep - 80).toLocaleString('en')} more chars)…${text.slice(-80)}`;
}

/** Code units a terminal would hide or mangle, written as escapes. */
function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Bytes as text, each one outside ASCII as \xNN (how invalid UTF-8 bodies are shown). */
function bytesText(bytes: Uint8Array): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

export function describeRequest({ method, path, headers, body }: FuzzRequest): string {
  const shownHeaders = headers ? ` ${shorten(JSON.stringify(headers), 100)}` : '';
  const shownBody = body === undefined ? '' : typeof body === 'string' ? ` body ${shorten(visible(body))}` : ` bytes ${shorten(bytesText(body))}`;
  return `${method} ${shorten(visible(path), 120)}${shownHeaders}${shownBody}`;
}

/** Gives a request the short printed form in fast-check's counterexample reports. */
export function printable<T extends FuzzRequest>(request: T): T {
  return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
}

export interface AnswerRules {
  /** The BI double was told to fail: 502, 503 and 504 are then right answers. */
  gatewayAllowed?: boolean;
  enforceTime: boolean;
  /** Text that must never reach an IdP: the BI tool's origin. */
  biOrigin: string;
  /** The request was under the SCIM base path, so even a success is application/scim+json (health checks are not). */
  scim: boolean;
}

function errorShapeProblems(answer: FuzzAnswer): string[] {
  const problems: string[] = [];
  if (!/^application\/scim\+json/.test(answer.headers.get('content-type') ?? '')) problems.push(`content-type ${answer.headers.get('content-type')}`);
  let body: { schemas?: unknown; status?: unknown; detail?: unknown } | null = null;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [...problems, 'a body that is not JSON'];
  }
  if (JSON.stringify(body?.schemas) !== JSON.stringify([URN.error])) problems.push(`schemas ${JSON.stringify(body?.schemas)}`);
  if (body?.status !== String(answer.status)) problems.push(`status member ${JSON.stringify(body?.status)}`);
  if (typeof body?.detail !== 'string' || body.detail === '') problems.push('no detail');
  return problems;
}

/**
 * What is wrong with an answer, or [] (RFC 7644 §3.12, RFC 9110 §15.5.6, design §2.8): no 5xx but the gateway
 * statuses the BI double was told to cause; every error a SCIM error; a 405 names what is allowed; no answer
 * mentions the BI tool's address or routes; none takes longer than the bound.
 */
export function answerProblems(answer: FuzzAnswer, rules: AnswerRules): string[] {
  const problems: string[] = [];
  const gateway = rules.gatewayAllowed && [502, 503, 504].includes(answer.status);
  if (answer.status >= 500 && !gateway) problems.push(`answered ${answer.status}`);
  if (answer.status >= 400) problems.push(...errorShapeProblems(answer).map((p) => `error with ${p}`));
  else if (rules.scim && answer.status !== 204 && !/^application\/scim\+json/.test(answer.headers.get('content-type') ?? ''))
    problems.push(`success with content-type ${answer.headers.get('content-type')}`);
  if (answer.status === 405 && !answer.headers.get('allow')) problems.push('405 without an Allow header');
  if (answer.text.includes(rules.biOrigin) || (answer.status >= 400 && /\/api\/(user|permissions|session)/.test(answer.text)))
    problems.push("the BI tool's address or routes in the answer");
  if (rules.enforceTime && answer.ms > SLOWEST_ALLOWED_MS) problems.push(`took ${Math.round(answer.ms)} ms (over ${SLOWEST_ALLOWED_MS} ms)`);
  return problems;
}
