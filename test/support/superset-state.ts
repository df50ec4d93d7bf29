// A real Superset's users and FAB groups, read through its own security API, as the replay runner's neutral state.
import { HttpClient } from '../../src/targets/http.ts';
import { SupersetApi, SupersetSession } from '../../src/targets/superset/session.ts';
import type { NeutralState } from './replay.ts';

interface SupersetUserRow {
  id: number;
  email: string;
  active: boolean;
  first_name: string | null;
  last_name: string | null;
  groups: Array<{ id: number; name: string }>;
}

interface SupersetGroupRow {
  id: number;
  name: string;
  users: Array<{ id: number }>;
}

export function supersetState(url: string, credentials: { username: string; password: string }): () => Promise<NeutralState> {
  return async () => {
    const http = new HttpClient({ baseUrl: url });
    const session = new SupersetSession(http, credentials);
    const api = new SupersetApi(session);
    try {
      const users = await api.list<SupersetUserRow>('/api/v1/security/users/', []);
      const groups = await api.list<SupersetGroupRow>('/api/v1/security/groups/', []);
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
