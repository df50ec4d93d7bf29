// Mappings: the configured IdP group → BI group/role table and the protected principals, written down once.
import { breakGlassIds } from '../../provisioning/protection.ts';
import { serviceAccountOf } from '../../provisioning/context.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { badge, h, table } from '../layout.ts';

export async function mappingsPage({ deps }: PageInput): Promise<PageOutput> {
  const { config, provisioning: p } = deps;
  const biKind = config.target.kind === 'metabase' ? 'Metabase group' : config.superset.groupMode === 'roles' ? 'Superset role' : 'Superset group or role';
  const mappingRows = await Promise.all(
    config.groupMappings.map(async (m) => {
      const id = await p.store.findId('Group', 'displayName', m.idpGroup);
      return [m.idpGroup, m.target, id ? badge(`pushed: SCIM id ${id}`, 'ok') : badge('not pushed yet', 'neutral')];
    }),
  );
  const [service, breakGlass] = await Promise.all([serviceAccountOf(p).catch(() => null), breakGlassIds(p).catch(() => null)]);
  const protectedRows = [
    [
      "bi-scim's own account",
      service ? `${service.email ?? 'API key'}${service.userId ? ` (BI id ${service.userId})` : ''}` : 'unknown (the BI tool did not answer)',
    ],
    ...config.protectedUsers.map((entry) => ['protectedUsers', entry]),
    ['The last active human administrator', 'always, whoever it is at the time'],
  ];
  return {
    content: [
      h('h2', null, 'Group mappings'),
      h(
        'p',
        { class: 'muted' },
        `An IdP group of this name stands for an existing ${biKind}; it is never renamed or deleted through SCIM. Other IdP groups become BI groups of their own.`,
      ),
      table('Group mappings', ['IdP group', biKind, 'State'], mappingRows),
      h('h2', null, 'Protected principals'),
      h('p', { class: 'muted' }, 'SCIM may never deactivate, delete or demote these; such a request gets a 403 and an audit event.'),
      table('Protected principals', ['Why', 'Who'], protectedRows),
      h('p', null, `Break-glass entries resolve to BI ids: ${breakGlass ? [...breakGlass].join(', ') || 'none' : 'unknown (the BI tool did not answer)'}.`),
      h(
        'p',
        null,
        "Administrators' and protected people's login emails ",
        config.allowAdminEmailChange
          ? 'may be changed through SCIM (allowAdminEmailChange: true).'
          : 'are not changed through SCIM (allowAdminEmailChange: false).',
      ),
    ],
  };
}
