// BI_SCIM_REDIS_URL: the server, Sentinel and Cluster forms, the password variables, and config errors listing every problem.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadOperatorConfig } from '../../src/config.ts';
import { formatRedisUrl, parseRedisUrl, type RedisConnection } from '../../src/store/redis-url.ts';

const none = { username: null, password: null, masterName: null, sentinelPassword: null, db: 0 };
const local = (port: number) => ({ host: '127.0.0.1', port });

const valid: Array<[string, RedisConnection]> = [
  ['redis://127.0.0.1:6379', { mode: 'standalone', tls: false, nodes: [local(6379)], ...none }],
  ['redis://redis', { mode: 'standalone', tls: false, nodes: [{ host: 'redis', port: 6379 }], ...none }],
  [
    'rediss://:s%3Acret@redis.example.com:6380/3',
    { mode: 'standalone', tls: true, nodes: [{ host: 'redis.example.com', port: 6380 }], ...none, password: 's:cret', db: 3 },
  ],
  ['redis://bi-scim:pw@[::1]:7000/', { mode: 'standalone', tls: false, nodes: [{ host: '::1', port: 7000 }], ...none, username: 'bi-scim', password: 'pw' }],
  [
    'redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2,sentinel-3:26380/mymaster/2?sentinelPassword=sp',
    {
      mode: 'sentinel',
      tls: false,
      nodes: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: 'sentinel-3', port: 26380 },
      ],
      ...none,
      password: 'pw',
      masterName: 'mymaster',
      sentinelPassword: 'sp',
      db: 2,
    },
  ],
  ['rediss+sentinel://s1:26379/primary', { mode: 'sentinel', tls: true, nodes: [{ host: 's1', port: 26379 }], ...none, masterName: 'primary' }],
  ['redis+cluster://127.0.0.1:7000,127.0.0.1:7001', { mode: 'cluster', tls: false, nodes: [local(7000), local(7001)], ...none }],
  [
    'rediss+cluster://app:pw@cfg.cache.amazonaws.com:6379',
    { mode: 'cluster', tls: true, nodes: [{ host: 'cfg.cache.amazonaws.com', port: 6379 }], ...none, username: 'app', password: 'pw' },
  ],
];

const invalid: Array<[string, string[]]> = [
  [
    'http://redis:6379',
    [
      'must be one of redis://[[user]:password@]host:port[/db], redis+sentinel://[[user]:password@]host:port[,host:port…]/<masterName>[/<db>], redis+cluster://[[user]:password@]host:port[,host:port…] (or rediss…:// for TLS)',
    ],
  ],
  ['redis://a:1,b:2', ['names 2 hosts; a list of hosts needs redis+sentinel:// or redis+cluster://']],
  ['redis://a:99999/x', ['"a:99999" is not a host:port', 'database "x" is not a number']],
  ['redis+sentinel://s1:26379,s2:26379', ['names no primary: add /<masterName> after the sentinels']],
  ['redis+sentinel://s1/m/1/2', ['path "/m/1/2" has more than /<masterName>/<db>']],
  ['redis+cluster://c1:7000/1?db=1', ['a Cluster has only database 0: remove the path', 'unknown query parameter "db"']],
  ['redis://:%zz@a', ['the password is not valid percent-encoding']],
  ['redis+cluster://', ['names no host: expected redis+cluster://[[user]:password@]host:port[,host:port…]']],
];

describe('BI_SCIM_REDIS_URL', () => {
  it.each(valid)('reads %s', (url, connection) => {
    expect(parseRedisUrl(url)).toEqual({ connection });
  });

  it.each(valid)('writes %s back as a URL that reads the same', (url) => {
    const { connection } = parseRedisUrl(url);
    expect(parseRedisUrl(formatRedisUrl(connection!))).toEqual({ connection });
  });

  it.each(invalid)('refuses %s, naming every problem', (url, problems) => {
    expect(parseRedisUrl(url)).toEqual({ problems });
  });

  it('never repeats the password in a problem', () => {
    expect(JSON.stringify(parseRedisUrl('redis://:hunter2@a:1,b:2/x'))).not.toContain('hunter2');
  });
});

describe('Redis settings in the configuration', () => {
  const base = { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: 'http://metabase:3000', BI_SCIM_TARGET_API_KEY: 'mb_key' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('takes the passwords from BI_SCIM_REDIS_PASSWORD and BI_SCIM_REDIS_SENTINEL_PASSWORD over those in the URL', () => {
    const config = loadConfig({
      ...base,
      BI_SCIM_REDIS_URL: 'redis+sentinel://:in-url@s1:26379,s2:26379/mymaster?sentinelPassword=also-in-url',
      BI_SCIM_REDIS_PASSWORD: 'from/secret',
      BI_SCIM_REDIS_SENTINEL_PASSWORD: 'sentinel secret',
    });
    expect(parseRedisUrl(config.redisUrl!).connection).toMatchObject({ password: 'from/secret', sentinelPassword: 'sentinel secret', masterName: 'mymaster' });
  });

  it('keeps the URL as it is when no password variable is set', () => {
    expect(loadConfig({ ...base, BI_SCIM_REDIS_URL: 'redis://:pw@redis:6379/2' }).redisUrl).toBe('redis://:pw@redis:6379/2');
    expect(loadConfig(base).redisUrl).toBeNull();
  });

  it('lists every Redis problem along with the other settings’ problems', () => {
    expect(problems({ BI_SCIM_TARGET_URL: 'ftp://x', BI_SCIM_REDIS_URL: 'redis+sentinel://a:0,b/', BI_SCIM_REDIS_SENTINEL_PASSWORD: 'x' })).toEqual([
      'BI_SCIM_TARGET_URL: Invalid URL',
      'BI_SCIM_REDIS_URL: "a:0" is not a host:port',
      'BI_SCIM_REDIS_URL: names no primary: add /<masterName> after the sentinels',
    ]);
  });

  it('refuses a password variable that nothing would use', () => {
    expect(problems({ BI_SCIM_REDIS_PASSWORD: 'pw' })).toEqual(['BI_SCIM_REDIS_PASSWORD: is set, but BI_SCIM_REDIS_URL is not']);
    expect(problems({ BI_SCIM_REDIS_URL: 'redis+cluster://c:7000', BI_SCIM_REDIS_SENTINEL_PASSWORD: 'pw' })).toEqual([
      'BI_SCIM_REDIS_SENTINEL_PASSWORD: is set, but BI_SCIM_REDIS_URL is not a redis+sentinel:// URL',
    ]);
  });

  it('applies the same rules to the store-only settings of `bi-scim token`', () => {
    expect(loadOperatorConfig({ BI_SCIM_REDIS_URL: 'redis+cluster://c:7000', BI_SCIM_REDIS_PASSWORD: 'pw' }).redisUrl).toBe('redis+cluster://:pw@c:7000');
    expect(() => loadOperatorConfig({ BI_SCIM_REDIS_URL: 'redis://a,b' })).toThrow(ConfigError);
  });
});
