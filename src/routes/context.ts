// What routes share: the Hono environment type, the per-request context, projection of answers.
import type { Context } from 'hono';
import type { Provisioning, RequestContext } from '../provisioning/context.ts';
import { parseAttributeList, projectAttributes } from '../scim/attributes.ts';
import { ScimError } from '../scim/errors.ts';
import type { ScimDoc } from '../scim/resources.ts';

export interface AppEnv {
  /**
   * `tokenName`: the bearer token the caller presented (set by auth), for the audit trail; `dryRun`: whether it is a
   * dry-run token; `provisioning`: the use cases that serve it (the real ones, or that token's dry run).
   */
  Variables: { requestId: string; tokenName: string; dryRun: boolean; provisioning: Provisioning };
}

export interface RouteOptions {
  basePath: string;
  /** Only then are X-Forwarded-Proto/-Host believed (BI_SCIM_TRUST_PROXY); anyone can send them. */
  trustProxy: boolean;
  /** The absolute URL the IdPs use (BI_SCIM_PUBLIC_URL, without the base path); wins over everything else. */
  publicUrl: string | null;
}

/** A handler for methods a route does not serve: 405 with the ones it does (RFC 9110 §15.5.6). */
export function methodNotAllowed(allow: string[]): () => never {
  return () => {
    throw new ScimError('methodNotAllowed', `Method not allowed here; use ${allow.join(', ')}`, { allow });
  };
}

/** X-Forwarded-Proto may only name these; anything else (`javascript`) is ignored. */
const FORWARDED_PROTO = /^https?$/i;
/** A host and optional port, nothing that could end the authority early. */
const FORWARDED_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function origin(c: Context<AppEnv>, { trustProxy, publicUrl }: RouteOptions): string {
  if (publicUrl) return publicUrl;
  const url = new URL(c.req.url);
  const forwarded = (name: string, valid: RegExp) => {
    const value = trustProxy ? c.req.header(name)?.split(',')[0].trim() : undefined;
    return value && valid.test(value) ? value : undefined;
  };
  return `${forwarded('x-forwarded-proto', FORWARDED_PROTO)?.toLowerCase() ?? url.protocol.replace(':', '')}://${forwarded('x-forwarded-host', FORWARDED_HOST) ?? url.host}`;
}

/** The absolute SCIM base URL as the IdP sees it: the configured public URL, a trusted proxy's, or the request's. */
export function requestContext(c: Context<AppEnv>, options: RouteOptions): RequestContext {
  const { basePath } = options;
  const caller = { token: c.get('tokenName') ?? 'anonymous', userAgent: c.req.header('user-agent') ?? null };
  return { base: `${origin(c, options)}${basePath === '/' ? '' : basePath}`, requestId: c.get('requestId'), caller };
}

export interface Projection {
  attributes: string[];
  excludedAttributes: string[];
}

export function projectionOf(c: Context<AppEnv>): Projection {
  return { attributes: parseAttributeList(c.req.query('attributes')), excludedAttributes: parseAttributeList(c.req.query('excludedAttributes')) };
}

export function project(doc: ScimDoc, projection: Projection): ScimDoc {
  return projection.attributes.length === 0 && projection.excludedAttributes.length === 0 ? doc : projectAttributes(doc, projection);
}

/** Whether an answer should carry `members`; `excludedAttributes=members` must not even load them (design §2.10). */
export function wantsMembers({ attributes, excludedAttributes }: Projection): boolean {
  const named = (list: string[]) => list.some((a) => /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members(\.|$)/i.test(a));
  if (named(excludedAttributes)) return false;
  return attributes.length === 0 || named(attributes);
}
