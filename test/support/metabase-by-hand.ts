// Changes a Metabase administrator makes by hand, through Metabase's own API (metabase-api.md): what drift must catch.

export interface ByHand {
  grantAdmin(userId: string): Promise<void>;
  reactivate(userId: string): Promise<void>;
  deactivate(userId: string): Promise<void>;
  addMember(groupId: string, userId: string): Promise<void>;
  removeMember(groupId: string, userId: string): Promise<void>;
  setFirstName(userId: string, firstName: string): Promise<void>;
}

export function metabaseByHand(double: { url: string; apiKey: string }): ByHand {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${double.url}${path}`, {
      method,
      headers: { 'x-api-key': double.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  return {
    grantAdmin: async (userId) => void (await call('PUT', `/api/user/${userId}`, { is_superuser: true })),
    reactivate: async (userId) => void (await call('PUT', `/api/user/${userId}/reactivate`)),
    deactivate: async (userId) => void (await call('DELETE', `/api/user/${userId}`)),
    addMember: async (groupId, userId) => void (await call('POST', '/api/permissions/membership', { group_id: Number(groupId), user_id: Number(userId) })),
    async removeMember(groupId, userId) {
      const all = (await call('GET', '/api/permissions/membership')) as Record<string, Array<{ membership_id: number; group_id: number }>>;
      const membership = all[userId]?.find((m) => m.group_id === Number(groupId));
      if (!membership) throw new Error(`User ${userId} is not in group ${groupId}`);
      await call('DELETE', `/api/permissions/membership/${membership.membership_id}`);
    },
    setFirstName: async (userId, firstName) => void (await call('PUT', `/api/user/${userId}`, { first_name: firstName })),
  };
}
