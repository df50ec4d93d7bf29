// The Metabase double's tables as the replay runner's neutral state (memberships of inactive people included).
import type { MetabaseDouble } from './metabase-double.ts';
import type { NeutralState } from './replay.ts';

export function metabaseState(double: MetabaseDouble): () => Promise<NeutralState> {
  return async () => {
    const groups = double.state.groups().filter((g) => g.magic_group_type === null);
    const users = double.state.users().filter((u) => u.type === 'personal');
    const memberships = double.state.memberships();
    const groupName = (id: number) => groups.find((g) => g.id === id)?.name;
    const userEmail = (id: number) => users.find((u) => u.id === id)?.email;
    return {
      users: users.map((u) => ({
        email: u.email,
        active: u.is_active,
        firstName: u.first_name,
        lastName: u.last_name,
        groups: memberships
          .filter((m) => m.user_id === u.id)
          .map((m) => groupName(m.group_id))
          .filter((n): n is string => !!n),
      })),
      groups: groups.map((g) => ({
        name: g.name,
        members: memberships
          .filter((m) => m.group_id === g.id)
          .map((m) => userEmail(m.user_id))
          .filter((e): e is string => !!e),
      })),
    };
  };
}
