// Reads and writes BI_SCIM_REDIS_URL: one server or primary, a Sentinel-managed primary, or a Cluster, each with or without TLS.

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisConnection {
  mode: RedisMode;
  tls: boolean;
  /** The server (standalone), the sentinels (sentinel) or the seed nodes (cluster). */
  nodes: RedisAddress[];
  /** For the data nodes; null sends no user name (the `default` user). */
  username: string | null;
  password: string | null;
  /** Sentinel mode: the name the sentinels monitor the primary under. */
  masterName: string | null;
  /** Sentinel mode: the sentinels' own password, when they require one. */
  sentinelPassword: string | null;
  db: number;
}

/** Passwords that replace the URL's, e.g. from BI_SCIM_REDIS_PASSWORD and BI_SCIM_REDIS_SENTINEL_PASSWORD. */
export interface RedisPasswords {
  password?: string;
  sentinelPassword?: string;
}

const SCHEMES: Record<string, { mode: RedisMode; tls: boolean }> = {
  redis: { mode: 'standalone', tls: false },
  rediss: { mode: 'standalone', tls: true },
  'redis+sentinel': { mode: 'sentinel', tls: false },
  'rediss+sentinel': { mode: 'sentinel', tls: true },
  'redis+cluster': { mode: 'cluster', tls: false },
  'rediss+cluster': { mode: 'cluster', tls: true },
};
const DEFAULT_PORT: Record<RedisMode, number> = { standalone: 6379, sentinel: 26379, cluster: 6379 };
const FORMS: Record<RedisMode, string> = {
  standalone: 'redis://[[user]:password@]host:port[/db]',
  sentinel: 'redis+sentinel://[[user]:password@]host:port[,host:port…]/<masterName>[/<db>]',
  cluster: 'redis+cluster://[[user]:password@]host:port[,host:port…]',
};
/** scheme://[userinfo@]hosts[/path][?query]; the hosts part may hold several host:port pairs, so URL cannot parse it. */
const URL_SHAPE = /^([a-z+]+):\/\/(?:(.*)@)?([^@/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i;
const ADDRESS = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d+))?$/i;

type Parsed = { connection: RedisConnection; problems?: undefined } | { connection?: undefined; problems: string[] };

function decode(part: string, what: string, problems: string[]): string {
  try {
    return decodeURIComponent(part);
  } catch {
    problems.push(`${what} is not valid percent-encoding`);
    return part;
  }
}

function parseAddresses(hosts: string, mode: RedisMode, problems: string[]): RedisAddress[] {
  const addresses: RedisAddress[] = [];
  for (const item of hosts.split(',')) {
    const match = ADDRESS.exec(item);
    const port = match?.[2] === undefined ? DEFAULT_PORT[mode] : Number(match[2]);
    if (!match || port < 1 || port > 65535) problems.push(`"${item}" is not a host:port`);
    else addresses.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  if (mode === 'standalone' && addresses.length > 1)
    problems.push(`names ${addresses.length} hosts; a list of hosts needs redis+sentinel:// or redis+cluster://`);
  return addresses;
}

function parseDb(segment: string | undefined, problems: string[]): number {
  if (segment === undefined || segment === '') return 0;
  if (!/^\d{1,5}$/.test(segment)) problems.push(`database "${segment}" is not a number`);
  return Number(segment) || 0;
}

/** The path: /db (standalone), /<masterName>[/<db>] (sentinel), nothing (cluster: one database only). */
function parsePath(path: string, mode: RedisMode, problems: string[]): { masterName: string | null; db: number } {
  const segments = path.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop();
  if (mode === 'sentinel') {
    if (!segments[0]) problems.push('names no primary: add /<masterName> after the sentinels');
    if (segments.length > 2) problems.push(`path "${path}" has more than /<masterName>/<db>`);
    return { masterName: segments[0] ? decode(segments[0], 'the primary name', problems) : null, db: parseDb(segments[1], problems) };
  }
  if (mode === 'cluster' && segments.length > 0) problems.push('a Cluster has only database 0: remove the path');
  if (mode === 'standalone' && segments.length > 1) problems.push(`path "${path}" has more than /<db>`);
  return { masterName: null, db: mode === 'standalone' ? parseDb(segments[0], problems) : 0 };
}

/** Only ?sentinelPassword= is known (sentinel mode); anything else would be silently ignored, so it is refused. */
function parseQuery(query: string | undefined, mode: RedisMode, problems: string[]): string | null {
  if (!query) return null;
  const params = new URLSearchParams(query);
  for (const name of new Set(params.keys())) {
    if (name !== 'sentinelPassword' || mode !== 'sentinel') problems.push(`unknown query parameter "${name}"`);
  }
  return params.get('sentinelPassword');
}

/** Every problem with the URL at once, or the connection it describes. Never echoes the password. */
export function parseRedisUrl(url: string): Parsed {
  const shape = URL_SHAPE.exec(url.trim());
  const scheme = shape ? SCHEMES[shape[1].toLowerCase()] : undefined;
  if (!shape || !scheme) {
    return { problems: [`must be one of ${Object.values(FORMS).join(', ')} (or rediss…:// for TLS)`] };
  }
  const [, , userinfo, hosts, path = '', query] = shape;
  const problems: string[] = [];
  const colon = userinfo?.indexOf(':') ?? -1;
  const username = userinfo === undefined ? '' : decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'the user name', problems);
  const password = colon === -1 ? '' : decode(userinfo!.slice(colon + 1), 'the password', problems);
  const nodes = hosts === '' ? [] : parseAddresses(hosts, scheme.mode, problems);
  if (hosts === '') problems.push(`names no host: expected ${FORMS[scheme.mode]}`);
  const { masterName, db } = parsePath(path, scheme.mode, problems);
  const sentinelPassword = parseQuery(query, scheme.mode, problems);
  if (problems.length > 0) return { problems };
  return {
    connection: { ...scheme, nodes, username: username || null, password: password || null, masterName, sentinelPassword, db },
  };
}

const formatAddress = ({ host, port }: RedisAddress) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The URL of a connection; parseRedisUrl(formatRedisUrl(c)) gives c back. */
export function formatRedisUrl(c: RedisConnection): string {
  const scheme = Object.keys(SCHEMES).find((name) => SCHEMES[name].mode === c.mode && SCHEMES[name].tls === c.tls)!;
  const userinfo = c.username || c.password ? `${encodeURIComponent(c.username ?? '')}:${encodeURIComponent(c.password ?? '')}@` : '';
  const db = c.db === 0 ? '' : `/${c.db}`;
  const path = c.mode === 'sentinel' ? `/${encodeURIComponent(c.masterName ?? '')}${db}` : db;
  const query = c.sentinelPassword ? `?${new URLSearchParams({ sentinelPassword: c.sentinelPassword })}` : '';
  return `${scheme}://${userinfo}${c.nodes.map(formatAddress).join(',')}${path}${query}`;
}

/** The URL with its passwords replaced by the ones given, so secrets can come from their own variables. */
export function applyRedisPasswords(url: string, passwords: RedisPasswords): string {
  const { connection } = parseRedisUrl(url);
  if (!connection) return url;
  const sentinelPassword = connection.mode === 'sentinel' ? (passwords.sentinelPassword ?? connection.sentinelPassword) : null;
  return formatRedisUrl({ ...connection, password: passwords.password ?? connection.password, sentinelPassword });
}
