// Every failure becomes a SCIM error (RFC 7644 §3.12, design §2.8); only 5xx are logged as errors.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { ScimError, type ScimErrorCode } from '../scim/errors.ts';
import { StoreError } from '../store/mapping-store.ts';
import { TargetError, type TargetErrorCode } from '../targets/target.ts';
import { scimJson } from './scim-json.ts';

/** The BI tool's failures as gateway statuses (RFC 9110 §15.6) or the IdP's own input errors. */
const TARGET_TO_SCIM: Record<TargetErrorCode, ScimErrorCode> = {
  not_found: 'notFound',
  conflict: 'uniqueness',
  invalid: 'invalidValue',
  forbidden: 'protectedPrincipal',
  protected: 'protectedPrincipal',
  auth: 'badGateway',
  unavailable: 'unavailable',
  timeout: 'gatewayTimeout',
  bad_gateway: 'badGateway',
  unexpected_answer: 'badGateway',
};

/** What the IdP is told when the BI tool fails: never its hosts, routes or internal messages (those are logged). */
const GATEWAY_DETAIL: Partial<Record<TargetErrorCode, string>> = {
  auth: "The BI tool refused bi-scim's own credentials; the operator should run `bi-scim check`",
  unavailable: 'The BI tool is unavailable; try again',
  timeout: 'The BI tool did not answer in time; try again',
  bad_gateway: 'The BI tool failed to answer this request; try again',
  unexpected_answer: 'The BI tool answered in a form bi-scim does not expect (is it a supported version?); the bi-scim log has the details',
};

export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof TargetError) {
    const code = TARGET_TO_SCIM[err.code];
    const retryAfter = code === 'unavailable' ? 5 : undefined;
    return new ScimError(code, GATEWAY_DETAIL[err.code] ?? err.detail, { retryAfter, cause: err });
  }
  if (err instanceof StoreError) return new ScimError('unavailable', 'The bi-scim store is unavailable; try again', { retryAfter: 5, cause: err });
  return new ScimError('internal', 'Internal error', { cause: err });
}

export function renderError(c: Context, error: ScimError): Response {
  if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
  if (error.status === 401) c.header('WWW-Authenticate', 'Bearer realm="bi-scim"');
  if (error.allow) c.header('Allow', error.allow.join(', '));
  // The unread rest of an oversized body would be taken for the next request on this connection: close it.
  if (error.status === 413) c.header('Connection', 'close');
  return scimJson(c, error.toJSON(), error.status as ContentfulStatusCode);
}

export function errorHandler(logger: Logger) {
  return function handleError(err: Error, c: Context): Response {
    const error = toScimError(err);
    if (error.status >= 500) {
      logger.error({ err, requestId: c.get('requestId'), status: error.status }, error.message);
    }
    return renderError(c, error);
  };
}
