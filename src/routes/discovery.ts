// Discovery endpoints (RFC 7644 §4): read-only, answered from the schema table; any write is a 405.
import { Hono } from 'hono';
import { ScimError } from '../scim/errors.ts';
import { resourceTypes, schemas, serviceProviderConfig } from '../scim/discovery.ts';
import { listResponse } from '../scim/list.ts';
import { scimJson } from '../http/scim-json.ts';
import { methodNotAllowed, requestContext, type AppEnv, type RouteOptions } from './context.ts';

export function discoveryRoutes(options: RouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const base = (c: Parameters<typeof requestContext>[0]) => requestContext(c, options).base;
  const byId = (docs: Record<string, unknown>[], id: string, what: string) => {
    const doc = docs.find((d) => String(d.id).toLowerCase() === id.toLowerCase());
    if (!doc) throw new ScimError('notFound', `${what} ${id} not found`);
    return doc;
  };

  app.get('/ServiceProviderConfig', (c) => scimJson(c, serviceProviderConfig(base(c))));
  app.get('/ResourceTypes', (c) => {
    const docs = resourceTypes(base(c));
    return scimJson(c, listResponse(docs, docs.length, 1));
  });
  app.get('/ResourceTypes/:id', (c) => scimJson(c, byId(resourceTypes(base(c)), c.req.param('id'), 'ResourceType')));
  app.get('/Schemas', (c) => {
    const docs = schemas(base(c));
    return scimJson(c, listResponse(docs, docs.length, 1));
  });
  app.get('/Schemas/:id', (c) => scimJson(c, byId(schemas(base(c)), c.req.param('id'), 'Schema')));
  // Discovery endpoints are read-only.
  for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) app.all(path, methodNotAllowed(['GET']));
  return app;
}
