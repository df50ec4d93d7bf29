// What routes share: the Hono environment type, the per-request context, projection of answers.
import type { Context } from 'hono';
import type { RequestContext } from '../provisioning/context.ts';
import { parseAttributeList, projectAttributes } from '../scim/attributes.ts';
import type { ScimDoc } from '../scim/resources.ts';

export interface AppEnv {
  /** `tokenName`: the bearer token the caller presented (set by auth), for the audit trail. */
  Variables: { requestId: string; tokenName: string };
}

export interface RouteOptions {
  basePath: string;
}

/** The absolute SCIM base URL as the IdP sees it, behind a TLS-terminating proxy too. */
export function requestContext(c: Context<AppEnv>, { basePath }: RouteOptions): RequestContext {
  const url = new URL(c.req.url);
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0].trim() ?? url.protocol.replace(':', '');
  const host = c.req.header('x-forwarded-host')?.split(',')[0].trim() ?? url.host;
  const caller = { token: c.get('tokenName') ?? 'anonymous', userAgent: c.req.header('user-agent') ?? null };
  return { base: `${proto}://${host}${basePath === '/' ? '' : basePath}`, requestId: c.get('requestId'), caller };
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
