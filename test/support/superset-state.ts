// A real Superset's users and FAB groups, read through its own security API, as the replay runner's neutral state.
import { HttpClient } from '../../src/targets/http.ts';
import { SupersetApi, SupersetSession } from '../../src/targets/superset/session.ts';
import { z } from 'zod';
import { idRow, supersetRef } from '../../src/targets/superset/payloads.ts';
import type { NeutralState } from './replay.ts';

const userRow = idRow.extend({
  email: z.string(),
  active: z.boolean(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  groups: z.array(supersetRef),
});
const groupRow = supersetRef.extend({ users: z.array(idRow) });

export function supersetState(url: string, credentials: { username: string; password: string }): () => Promise<NeutralState> {
  return async () => {
    const http = new HttpClient({ baseUrl: url });
    const session = new SupersetSession(http, credentials);
    const api = new SupersetApi(session);
    try {
      const users = await api.list('/api/v1/security/users/', [], userRow);
      const groups = await api.list('/api/v1/security/groups/', [], groupRow);
      const emailOf = new Map(users.map((u) => [u.id, u.email]));
      return {
        users: users.map((u) => ({ email: u.email, active: u.active, firstName: u.first_name, lastName: u.last_name, groups: u.groups.map((g) => g.name) })),
        groups: groups.map((g) => ({ name: g.name, members: g.users.map((u) => emailOf.get(u.id)).filter((e): e is string => !!e) })),
      };
    } finally {
      session.close();
      await http.close();
    }
  };
}
