// Reading SCIM request bodies and writing application/scim+json answers (RFC 7644 §3.1, §8.1).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ScimError } from '../scim/errors.ts';
import { LIMITS } from '../scim/limits.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function scimJson(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { 'content-type': SCIM_CONTENT_TYPE });
}

/** Okta's test suite posts application/json, some clients text/json: all are JSON (idp-behaviour.md §1.2). */
const JSON_TYPES = /^(application\/(scim\+)?json|text\/json)\b/i;

export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type && !JSON_TYPES.test(type)) throw new ScimError('unsupportedMediaType', `Content-Type ${type} is not supported; send application/scim+json`);
  const text = await c.req.text();
  if (text.trim() === '') throw new ScimError('invalidSyntax', 'The request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ScimError('invalidSyntax', 'The request body is not valid JSON');
  }
  checkJsonShape(body);
  return body;
}

/**
 * Refuses what JSON allows but nothing downstream should meet: nesting deeper than any SCIM resource (deep recursion
 * would overflow the stack) and strings with unpaired surrogates (`"\ud800"`), which cannot be stored or compared
 * faithfully. Iterative, so the check itself cannot overflow.
 */
function checkJsonShape(body: unknown): void {
  const pending: Array<[unknown, number]> = [[body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (!value.isWellFormed())
        throw new ScimError('invalidSyntax', 'The request body holds a string that is not well-formed Unicode (an unpaired surrogate)');
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > LIMITS.maxJsonDepth) throw new ScimError('invalidSyntax', `The request body is nested deeper than ${LIMITS.maxJsonDepth} levels`);
    const entries = Array.isArray(value) ? value : Object.entries(value).flat();
    for (const item of entries) pending.push([item, depth + 1]);
  }
}
