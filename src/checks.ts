// `bi-scim check`: each dependency as one readable line with a fix hint; false when any check fails.
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createStore } from './store/index.ts';
import type { MappingStore } from './store/mapping-store.ts';
import { createTarget } from './targets/index.ts';
import { TargetError, type Target } from './targets/target.ts';

type Io = { out: (line: string) => void };

const HINTS: Partial<Record<TargetError['code'], string>> = {
  unavailable: 'check BI_SCIM_TARGET_URL, that the BI tool is up, and that network policies let bi-scim reach it',
  timeout: 'the BI tool is slow or unreachable; check BI_SCIM_TARGET_URL and the network path',
  auth: 'check BI_SCIM_TARGET_API_KEY (Metabase) or BI_SCIM_TARGET_USERNAME/BI_SCIM_TARGET_PASSWORD, and that the account is an administrator (Metabase: an API key in the Administrators group; Superset: the Admin role)',
};

function hintFor(err: unknown): string {
  return (err instanceof TargetError && HINTS[err.code]) || 'see the message above';
}

async function check(io: Io, label: string, fn: () => Promise<string>, hint: (err: unknown) => string): Promise<boolean> {
  try {
    io.out(`ok    ${label}: ${await fn()}`);
    return true;
  } catch (err) {
    io.out(`FAIL  ${label}: ${(err as Error).message}\n      fix: ${hint(err)}`);
    return false;
  }
}

async function checkTarget(io: Io, config: Config, store: MappingStore): Promise<boolean> {
  const target: Target = await createTarget(config, { withLock: (key, fn) => store.withLock(key, fn) });
  try {
    const where = `${config.target.kind} at ${config.target.url}`;
    const account = await check(
      io,
      'BI credentials',
      async () => {
        const a = await target.serviceAccount();
        return `${where} accepts them (account ${a.email ?? a.userId})`;
      },
      hintFor,
    );
    if (!account) return false;
    return await check(
      io,
      'BI privileges',
      async () => {
        await target.checkHealth();
        return 'the account can manage people and groups';
      },
      hintFor,
    );
  } finally {
    await target.close();
  }
}

export async function runChecks(env: Record<string, string | undefined>, io: Io): Promise<boolean> {
  let config: Config;
  try {
    config = loadConfig(env);
    io.out(`ok    configuration: ${config.target.kind} target, ${config.redisUrl ? 'Redis store' : 'in-memory store'}`);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
    io.out(
      `FAIL  configuration:\n${problems.map((p) => `        - ${p}`).join('\n')}\n      fix: set the BI_SCIM_* variables listed (README, "Configuration")`,
    );
    return false;
  }
  const warnings: string[] = [];
  const store = await createStore({ redisUrl: config.redisUrl, logger: { warn: (m: string) => warnings.push(m) } });
  try {
    const storeOk = await check(
      io,
      'store',
      async () => {
        await store.ping();
        return config.redisUrl ? 'Redis answers' : 'in-memory (one replica only; state is lost on restart)';
      },
      () => 'check BI_SCIM_REDIS_URL and that Redis is up and reachable',
    );
    const tokensOk = await check(
      io,
      'bearer tokens',
      async () => {
        const stored = await store.listTokens();
        if (config.idpTokens.length + stored.length === 0) throw new Error('none configured');
        return `${config.idpTokens.length} from BI_SCIM_TOKENS, ${stored.length} in the store`;
      },
      () => 'set BI_SCIM_TOKENS or run `bi-scim token create --name okta`',
    );
    const targetOk = await checkTarget(io, config, store);
    return storeOk && tokensOk && targetOk;
  } finally {
    await store.close();
  }
}
