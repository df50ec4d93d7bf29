// GET /<Resources> and POST /<Resources>/.search share one implementation (RFC 7644 §3.4.2, §3.4.3).
import type { Context } from 'hono';
import type { Provisioning, RequestContext } from '../provisioning/context.ts';
import { listResponse, parseListQuery, type ListParams, type ListQuery } from '../scim/list.ts';
import type { ScimDoc } from '../scim/resources.ts';
import { URN } from '../scim/urns.ts';
import { ScimError } from '../scim/errors.ts';
import { readJson, scimJson } from '../http/scim-json.ts';
import { project, requestContext, type AppEnv, type Projection, type RouteOptions } from './context.ts';

export type Lister = (p: Provisioning, ctx: RequestContext, query: ListQuery, projection: Projection) => Promise<{ total: number; resources: ScimDoc[] }>;

async function answer(c: Context<AppEnv>, options: RouteOptions, params: ListParams, lister: Lister): Promise<Response> {
  const query = parseListQuery(params);
  const projection = { attributes: query.attributes, excludedAttributes: query.excludedAttributes };
  const { total, resources } = await lister(c.get('provisioning'), requestContext(c, options), query, projection);
  return scimJson(
    c,
    listResponse(
      resources.map((r) => project(r, projection)),
      total,
      query.startIndex,
    ),
  );
}

export function listHandler(options: RouteOptions, lister: Lister) {
  return (c: Context<AppEnv>) => answer(c, options, c.req.query(), lister);
}

export function searchHandler(options: RouteOptions, lister: Lister) {
  return async (c: Context<AppEnv>) => {
    const body = (await readJson(c)) as ListParams & { schemas?: unknown };
    if (!Array.isArray(body?.schemas) || !body.schemas.includes(URN.searchRequest)) {
      throw new ScimError('invalidSyntax', `A search request must list the schema ${URN.searchRequest}`);
    }
    return answer(c, options, body, lister);
  };
}
