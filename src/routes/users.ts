// /Users: thin handlers — parse, call the use case, render (RFC 7644 §3.2–§3.6).
import { Hono } from 'hono';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from '../provisioning/users.ts';
import { parsePatch } from '../scim/patch-message.ts';
import { readJson, scimJson } from '../http/scim-json.ts';
import { project, projectionOf, requestContext, type AppEnv, type RouteOptions } from './context.ts';
import { listHandler, searchHandler, type Lister } from './list.ts';

/** The use cases come with each request (`provisioning`): the real ones, or a dry-run token's. */
export function userRoutes(options: RouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const lister: Lister = (p, ctx, query) => listUsers(p, ctx, query);
  const ctx = (c: Parameters<typeof requestContext>[0]) => requestContext(c, options);
  const p = (c: Parameters<typeof requestContext>[0]) => c.get('provisioning');

  app.get('/', listHandler(options, lister));
  app.post('/.search', searchHandler(options, lister));
  app.get('/:id', async (c) => scimJson(c, project(await getUser(p(c), ctx(c), c.req.param('id')), projectionOf(c))));
  app.post('/', async (c) => {
    const user = await createUser(p(c), ctx(c), await readJson(c));
    c.header('Location', String((user.meta as { location: string }).location));
    return scimJson(c, project(user, projectionOf(c)), 201);
  });
  app.put('/:id', async (c) => scimJson(c, project(await replaceUser(p(c), ctx(c), c.req.param('id'), await readJson(c)), projectionOf(c))));
  app.patch('/:id', async (c) => {
    const operations = parsePatch(await readJson(c));
    return scimJson(c, project(await patchUser(p(c), ctx(c), c.req.param('id'), operations), projectionOf(c)));
  });
  app.delete('/:id', async (c) => {
    await deleteUser(p(c), ctx(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
