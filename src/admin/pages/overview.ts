// Overview: is it connected (BI tool, Redis, replicas), is anything held or drifting, and which tokens are stale.
import { describeGuard } from '../../commands/guard.ts';
import { SEVERITIES } from '../../operations/drift-types.ts';
import type { TokenReport } from '../../operations/tokens.ts';
import { VERSION } from '../../version.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { badge, count, h, SEVERITY_TONE, span, table, when, type Child, type Tone } from '../layout.ts';

/** A token nobody has used for this long is stale: forgotten, or its IdP connection is broken. */
const UNUSED_AFTER_MS = 30 * 86_400_000;

const REPLICA_TONE: Record<string, Tone> = { up: 'ok', stopped: 'neutral', silent: 'warn' };

const upDown = (ok: boolean | undefined) => (ok === undefined ? badge('unknown', 'neutral') : ok ? badge('up', 'ok') : badge('down', 'bad'));

/** The BI tool's address without anything that might be a secret (user info, query). */
function safeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

export function tokenFlags(t: TokenReport, now: number): Child[] {
  const flags: Child[] = [];
  if (t.expired) flags.push(badge('expired', 'bad'));
  else if (t.expiresSoon) flags.push(badge('expires soon', 'warn'));
  if (t.rotationDue) flags.push(badge('rotation due', 'warn'));
  if (t.lastUsedAt === null) flags.push(badge('never used', 'warn'));
  else if (now - Date.parse(t.lastUsedAt) > UNUSED_AFTER_MS) flags.push(badge('stale: unused 30 d', 'warn'));
  return flags.length > 0 ? flags : [badge('fine', 'ok')];
}

const settled = async <T>(work: Promise<T>): Promise<T | null> => work.catch(() => null);

const card = (title: string, ...body: Child[]) => h('section', { class: 'card', 'aria-label': title }, h('h2', null, title), ...body);

export async function overviewPage({ deps }: PageInput): Promise<PageOutput> {
  const { config, provisioning: p } = deps;
  const now = deps.now();
  const [health, guard, drift, tokens, replicas] = await Promise.all([
    settled(deps.health()),
    settled(deps.guard.state()),
    settled(deps.drift.summary()),
    settled(deps.tokens()),
    settled(deps.replicas()),
  ]);
  const severities = SEVERITIES.map((s) => [s, drift?.findings.filter((f) => f.severity === s).reduce((n, f) => n + f.count, 0) ?? 0] as const);
  const held = guard?.tripped && !guard.approval;
  const cards = h(
    'div',
    { class: 'cards' },
    card(
      'BI tool',
      h('p', null, upDown(health?.target), ' ', config.target.kind === 'metabase' ? 'Metabase' : 'Superset'),
      h('p', { class: 'mono' }, safeUrl(config.target.url)),
    ),
    card('Store', h('p', null, upDown(health?.store), ' ', p.store.kind === 'redis' ? 'Redis' : 'in memory (one replica, forgotten on restart)')),
    card(
      'bi-scim',
      h('p', null, 'Version ', h('span', { class: 'mono' }, VERSION)),
      h('p', null, replicas ? `${count(replicas.filter((r) => r.status === 'up').length, 'replica')} up` : 'replicas unknown'),
    ),
    card(
      'Guard',
      guard
        ? h(
            'p',
            null,
            !guard.enabled ? badge('off', 'neutral') : held ? badge('holding', 'bad') : guard.approval ? badge('approved', 'warn') : badge('open', 'ok'),
          )
        : h('p', null, badge('unknown', 'neutral')),
      ...(guard ? describeGuard(guard).flatMap(([what, text]) => (what === 'state' && text === 'open' ? [] : [h('p', null, text)])) : []),
      h('p', null, h('a', { href: '/guard' }, 'Guard details')),
    ),
    card(
      'Drift',
      h('ul', null, ...severities.map(([s, n]) => h('li', null, badge(s, SEVERITY_TONE[s]), ` ${n}`))),
      h('p', { class: 'muted' }, 'Last scan: ', when(drift?.lastScanAt)),
      h('p', null, h('a', { href: '/drift' }, 'Findings and plans')),
    ),
  );
  const replicaRows = (replicas ?? []).map((r) => [
    h('span', { class: 'mono' }, r.id),
    r.version,
    when(r.startedAt),
    when(r.lastSeenAt),
    badge(r.status, REPLICA_TONE[r.status]),
  ]);
  const tokenRows = (tokens ?? []).map((t) => [
    h('span', { class: 'mono' }, t.name),
    t.source,
    when(t.lastUsedAt),
    t.lastUserAgent ?? '—',
    span(t.ageSeconds),
    t.expiresAt ? when(t.expiresAt) : 'never',
    h('span', { class: 'actions' }, ...tokenFlags(t, now)),
  ]);
  return {
    content: [
      cards,
      h('h2', null, 'Replicas seen in the last day'),
      table('Replicas', ['Replica', 'Version', 'Started', 'Last seen', 'Status'], replicaRows),
      h('h2', null, 'IdP tokens'),
      table('IdP bearer tokens', ['Token', 'Source', 'Last used', 'Last user agent', 'Age', 'Expires', 'Flags'], tokenRows),
    ],
  };
}
