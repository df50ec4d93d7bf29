// /Groups: thin handlers; PATCH answers 204 as Entra expects unless the IdP asks for attributes (RFC 7644 §3.5.2).
import { Hono } from 'hono';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from '../provisioning/groups.ts';
import { parsePatch } from '../scim/patch-message.ts';
import { readJson, scimJson } from '../http/scim-json.ts';
import { project, projectionOf, requestContext, wantsMembers, type AppEnv, type RouteOptions } from './context.ts';
import { listHandler, searchHandler, type Lister } from './list.ts';

/** The use cases come with each request (`provisioning`): the real ones, or a dry-run token's. */
export function groupRoutes(options: RouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const lister: Lister = (p, ctx, query, projection) => listGroups(p, ctx, query, wantsMembers(projection));
  const ctx = (c: Parameters<typeof requestContext>[0]) => requestContext(c, options);
  const p = (c: Parameters<typeof requestContext>[0]) => c.get('provisioning');

  app.get('/', listHandler(options, lister));
  app.post('/.search', searchHandler(options, lister));
  app.get('/:id', async (c) => {
    const projection = projectionOf(c);
    return scimJson(c, project(await getGroup(p(c), ctx(c), c.req.param('id'), wantsMembers(projection)), projection));
  });
  app.post('/', async (c) => {
    const group = await createGroup(p(c), ctx(c), await readJson(c));
    c.header('Location', String((group.meta as { location: string }).location));
    return scimJson(c, project(group, projectionOf(c)), 201);
  });
  app.put('/:id', async (c) => scimJson(c, project(await replaceGroup(p(c), ctx(c), c.req.param('id'), await readJson(c)), projectionOf(c))));
  app.patch('/:id', async (c) => {
    const operations = parsePatch(await readJson(c));
    const projection = projectionOf(c);
    const asked = projection.attributes.length > 0 || projection.excludedAttributes.length > 0;
    const group = await patchGroup(p(c), ctx(c), c.req.param('id'), operations, asked);
    return group ? scimJson(c, project(group, projection)) : c.body(null, 204);
  });
  app.delete('/:id', async (c) => {
    await deleteGroup(p(c), ctx(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
