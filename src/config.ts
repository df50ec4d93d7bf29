// One zod schema for every setting: environment variables plus the optional YAML file named by BI_SCIM_CONFIG.
// Longer because every setting, from the environment and the file, is in this one schema.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { alertsConfig, checkAlertSecrets } from './operations/alerts.ts';
import { FIX_CATEGORY_NAMES } from './operations/drift-types.ts';
import { parseConfiguredTokens, type NamedToken } from './tokens.ts';
import { applyRedisPasswords, parseRedisUrl } from './store/redis-url.ts';

/** Comma-separated tokens in any configured form (src/tokens.ts), unnamed ones numbered `<prefix>-1`, `<prefix>-2`… */
const tokenListOf = (unnamedPrefix: string) =>
  z.string().transform((raw, ctx) => {
    try {
      const tokens = parseConfiguredTokens(raw, unnamedPrefix);
      if (tokens.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one token is required' });
      return tokens;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const tokenList = tokenListOf('env');

const groupMapping = z.object({
  /** The IdP group's displayName (matched case-insensitively). */
  idpGroup: z.string().min(1),
  /** The existing BI group (Metabase) or role (Superset) it stands for. */
  target: z.string().min(1),
});

/** The YAML file: everything that is a list or a table rather than one value. */
export const fileSchema = z
  .object({
    groupMappings: z.array(groupMapping).default([]),
    protectedUsers: z.array(z.string().min(1)).default([]),
    allowAdminEmailChange: z.boolean().default(false),
    superset: z
      .object({
        usernameTemplate: z.string().min(1).default('{userName}'),
        groupMode: z.enum(['groups', 'roles']).default('groups'),
        baselineRole: z.string().min(1).default('Gamma'),
        hardDelete: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The audit trail in the store: kept this many days and at most this many events (the older go first). */
    audit: z
      .object({ retentionDays: z.number().int().min(1).default(400), maxEvents: z.number().int().min(1_000).default(1_000_000) })
      .strict()
      .prefault({}),
    /** Read every removal back from the BI tool before answering the IdP. */
    verifyRemovals: z.boolean().default(true),
    /** The deprovisioning guard (design §7.3); maxDeprovisions 0 turns it off. */
    guard: z
      .object({
        maxDeprovisions: z.number().int().min(0).default(50),
        maxPercent: z.number().min(0).max(100).default(10),
        windowMinutes: z.number().int().min(1).max(1_440).default(15),
      })
      .strict()
      .prefault({}),
    /** Webhook sinks for alerts (JSON signed with HMAC-SHA256, or Slack). */
    alerts: alertsConfig,
    /** The periodic drift scan (0 minutes turns it off) and the kinds of finding it reverts by itself (none by default). */
    drift: z
      .object({
        intervalMinutes: z.number().int().min(0).max(1_440).default(15),
        autoRevert: z.array(z.enum(FIX_CATEGORY_NAMES)).default([]),
      })
      .strict()
      .prefault({}),
    /** Tokens older than this are due for rotation: flagged, alerted once, and in bi_scim_token_rotation_due. */
    tokens: z
      .object({ rotateAfterDays: z.number().int().min(1).default(90) })
      .strict()
      .prefault({}),
  })
  .strict();

const port = z.coerce.number().int().min(1).max(65535);
const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

type Credentials = { apiKey: string } | { username: string; password: string };

/** The BI tool and how bi-scim signs in to it: Metabase takes an API key or a login, Superset a login. */
export type TargetConfig =
  | { kind: 'metabase'; url: string; credentials: Credentials }
  | { kind: 'superset'; url: string; credentials: { username: string; password: string } };

/** The Redis settings, shared by the whole schema and by the store-only one (`bi-scim token …`). */
const redisShape = {
  BI_SCIM_REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      for (const message of parseRedisUrl(url).problems ?? []) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
  /** Replace the URL's passwords, so they can come from Secrets: the data nodes', and the sentinels' own. */
  BI_SCIM_REDIS_PASSWORD: z.string().optional(),
  BI_SCIM_REDIS_SENTINEL_PASSWORD: z.string().optional(),
};
type RedisSettings = z.infer<z.ZodObject<typeof redisShape>>;

/** A password variable that nothing would use is a mistake worth naming (a malformed URL is reported by itself). */
function checkRedisSettings(env: RedisSettings, ctx: z.core.$RefinementCtx<RedisSettings>): void {
  const unused = (name: keyof RedisSettings, why: string) => ctx.addIssue({ code: 'custom', path: [name], message: `is set, but ${why}` });
  if (!env.BI_SCIM_REDIS_URL) {
    if (env.BI_SCIM_REDIS_PASSWORD) unused('BI_SCIM_REDIS_PASSWORD', 'BI_SCIM_REDIS_URL is not');
    if (env.BI_SCIM_REDIS_SENTINEL_PASSWORD) unused('BI_SCIM_REDIS_SENTINEL_PASSWORD', 'BI_SCIM_REDIS_URL is not');
    return;
  }
  const mode = parseRedisUrl(env.BI_SCIM_REDIS_URL).connection?.mode;
  if (env.BI_SCIM_REDIS_SENTINEL_PASSWORD && mode && mode !== 'sentinel') {
    unused('BI_SCIM_REDIS_SENTINEL_PASSWORD', 'BI_SCIM_REDIS_URL is not a redis+sentinel:// URL');
  }
}

/** The URL the store connects with: the configured one, its passwords replaced by the password variables. */
function resolveRedisUrl(env: RedisSettings): string | null {
  if (!env.BI_SCIM_REDIS_URL) return null;
  return applyRedisPasswords(env.BI_SCIM_REDIS_URL, { password: env.BI_SCIM_REDIS_PASSWORD, sentinelPassword: env.BI_SCIM_REDIS_SENTINEL_PASSWORD });
}

const envSchema = z
  .object({
    BI_SCIM_TARGET: z.enum(['metabase', 'superset']),
    BI_SCIM_TARGET_URL: z.url({ protocol: /^https?$/ }),
    BI_SCIM_TARGET_API_KEY: z.string().min(1).optional(),
    BI_SCIM_TARGET_USERNAME: z.string().min(1).optional(),
    BI_SCIM_TARGET_PASSWORD: z.string().min(1).optional(),
    BI_SCIM_TOKENS: tokenList.optional(),
    ...redisShape,
    BI_SCIM_HOST: z.string().min(1).default('0.0.0.0'),
    BI_SCIM_PORT: port.default(8080),
    BI_SCIM_METRICS_PORT: port.default(9090),
    BI_SCIM_BASE_PATH: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must start with / and hold only path characters')
      .transform((p) => p.replace(/\/+$/, '') || '/')
      .default('/scim/v2'),
    BI_SCIM_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BI_SCIM_CONFIG: z.string().min(1).optional(),
    BI_SCIM_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    BI_SCIM_RATE_LIMIT_RPS: z.coerce.number().min(0).default(0),
    BI_SCIM_TRUST_PROXY: booleanFlag.default(false),
    BI_SCIM_PUBLIC_URL: z
      .url({ protocol: /^https?$/ })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    BI_SCIM_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
    BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(0).max(600).default(20),
    /** The operator console: served on its own port only when admin tokens are set. */
    BI_SCIM_ADMIN_PORT: port.default(8082),
    BI_SCIM_ADMIN_TOKENS: tokenListOf('admin').optional(),
  })
  .superRefine(checkRedisSettings)
  .superRefine(checkAdminTokens)
  .transform((e, ctx) => {
    const login = e.BI_SCIM_TARGET_USERNAME && e.BI_SCIM_TARGET_PASSWORD ? { username: e.BI_SCIM_TARGET_USERNAME, password: e.BI_SCIM_TARGET_PASSWORD } : null;
    const url = e.BI_SCIM_TARGET_URL.replace(/\/+$/, '');
    let target: TargetConfig;
    if (e.BI_SCIM_TARGET === 'superset') {
      if (!login) return missing(ctx, 'BI_SCIM_TARGET_USERNAME', 'Superset needs BI_SCIM_TARGET_USERNAME and BI_SCIM_TARGET_PASSWORD');
      target = { kind: 'superset', url, credentials: login };
    } else {
      const credentials = e.BI_SCIM_TARGET_API_KEY ? { apiKey: e.BI_SCIM_TARGET_API_KEY } : login;
      if (!credentials)
        return missing(ctx, 'BI_SCIM_TARGET_API_KEY', 'Metabase needs BI_SCIM_TARGET_API_KEY, or BI_SCIM_TARGET_USERNAME and BI_SCIM_TARGET_PASSWORD');
      target = { kind: 'metabase', url, credentials };
    }
    return {
      target,
      /** Accepted bearer tokens from the environment; more live in the store. */
      idpTokens: e.BI_SCIM_TOKENS ?? [],
      /** BI_SCIM_REDIS_URL with the password variables applied: a secret, like them. */
      redisUrl: resolveRedisUrl(e),
      host: e.BI_SCIM_HOST,
      port: e.BI_SCIM_PORT,
      metricsPort: e.BI_SCIM_METRICS_PORT,
      basePath: e.BI_SCIM_BASE_PATH,
      logLevel: e.BI_SCIM_LOG_LEVEL,
      configFile: e.BI_SCIM_CONFIG ?? null,
      maxBodyBytes: e.BI_SCIM_MAX_BODY_BYTES,
      /** Requests per second accepted before answering 429; 0 turns the limit off. */
      rateLimitRps: e.BI_SCIM_RATE_LIMIT_RPS,
      trustProxy: e.BI_SCIM_TRUST_PROXY,
      publicUrl: e.BI_SCIM_PUBLIC_URL ?? null,
      /** After SIGTERM: keep serving while endpoints are removed, then give in-flight requests this long. */
      shutdown: { graceMs: e.BI_SCIM_SHUTDOWN_GRACE_SECONDS * 1000, timeoutMs: e.BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS * 1000 },
      /** The console's port and sign-in tokens; no tokens, no console. */
      admin: { port: e.BI_SCIM_ADMIN_PORT, tokens: e.BI_SCIM_ADMIN_TOKENS ?? [] },
    };
  });

/** An IdP's SCIM token must never open the console: the two lists may share no token. */
function checkAdminTokens(
  e: { BI_SCIM_TOKENS?: NamedToken[]; BI_SCIM_ADMIN_TOKENS?: NamedToken[] },
  ctx: z.core.$RefinementCtx<{ BI_SCIM_TOKENS?: NamedToken[]; BI_SCIM_ADMIN_TOKENS?: NamedToken[] }>,
): void {
  const idp = new Set((e.BI_SCIM_TOKENS ?? []).map((t) => t.sha256));
  for (const admin of e.BI_SCIM_ADMIN_TOKENS ?? []) {
    if (idp.has(admin.sha256))
      ctx.addIssue({ code: 'custom', path: ['BI_SCIM_ADMIN_TOKENS'], message: `"${admin.name}" is also in BI_SCIM_TOKENS; an admin token must be its own` });
  }
}

function missing(ctx: z.core.$RefinementCtx, path: string, message: string): never {
  ctx.addIssue({ code: 'custom', path: [path], message });
  return z.NEVER;
}

export type FileConfig = z.output<typeof fileSchema>;
/** Every setting, as the rest of bi-scim receives it: the environment's and the YAML file's. */
export type Config = z.output<typeof envSchema> & FileConfig;

/** What commands that need no BI tool read (`bi-scim token …`, `bi-scim audit`): the store, the tokens, the file. */
export interface OperatorConfig {
  redisUrl: string | null;
  idpTokens: NamedToken[];
  file: FileConfig;
}

export function loadOperatorConfig(env: Record<string, string | undefined>): OperatorConfig {
  const shape = { ...redisShape, BI_SCIM_TOKENS: tokenList.optional(), BI_SCIM_CONFIG: z.string().min(1).optional() };
  const settings = Object.fromEntries(Object.keys(shape).map((name) => [name, env[name] || undefined]));
  const problems: string[] = [];
  const result = z.object(shape).superRefine(checkRedisSettings).safeParse(settings);
  if (!result.success) problems.push(...describe('', result.error.issues));
  const file = fileSchema.safeParse(readConfigFile(settings.BI_SCIM_CONFIG, problems));
  if (!file.success) problems.push(...describe(`${settings.BI_SCIM_CONFIG}`, file.error.issues));
  if (!result.success || !file.success || problems.length > 0) throw new ConfigError(problems);
  return { redisUrl: resolveRedisUrl(result.data), idpTokens: result.data.BI_SCIM_TOKENS ?? [], file: file.data };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describe(prefix: string, issues: z.core.$ZodIssue[]): string[] {
  const readable = (message: string) => (/received undefined$/.test(message) ? 'is required' : message);
  return issues.map((issue) => `${[prefix, ...issue.path].filter((p) => p !== '').join('.')}: ${readable(issue.message)}`);
}

function readConfigFile(path: string | undefined, problems: string[]): unknown {
  if (!path) return {};
  try {
    return parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    problems.push(`BI_SCIM_CONFIG: cannot read ${path}: ${(err as Error).message}`);
    return {};
  }
}

/** Parses every setting at once and throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BI_SCIM_') && v !== ''));
  const envResult = envSchema.safeParse(cleaned);
  if (!envResult.success) problems.push(...describe('', envResult.error.issues));
  const fileResult = fileSchema.safeParse(readConfigFile(cleaned.BI_SCIM_CONFIG, problems));
  if (!fileResult.success) problems.push(...describe(`${cleaned.BI_SCIM_CONFIG}`, fileResult.error.issues));
  else problems.push(...checkAlertSecrets(fileResult.data.alerts, env).map((p) => `${cleaned.BI_SCIM_CONFIG}: ${p}`));
  if (!envResult.success || !fileResult.success || problems.length > 0) throw new ConfigError(problems);

  return { ...envResult.data, ...fileResult.data };
}
