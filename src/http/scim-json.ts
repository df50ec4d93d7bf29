// Reading SCIM request bodies and writing application/scim+json answers (RFC 7644 §3.1, §8.1).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ScimError } from '../scim/errors.ts';

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
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError('invalidSyntax', 'The request body is not valid JSON');
  }
}
