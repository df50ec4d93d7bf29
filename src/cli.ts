// The bi-scim command line: serve | check | token create|list|revoke — each with --help.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadStoreConfig } from './config.ts';
import { sha256Hex } from './tokens.ts';
import { createLogger } from './logger.ts';
import { runChecks } from './checks.ts';
import { startSidecar } from './server.ts';
import { createStore } from './store/index.ts';

type Env = Record<string, string | undefined>;
type Out = { out: (line: string) => void; err: (line: string) => void };

const HELP: Record<string, string> = {
  main: `Usage: bi-scim <command> [options]

Commands:
  serve            Start the SCIM server (the default)
  check            Check configuration, Redis, the BI tool and its credentials
  token create     Create a bearer token for an IdP (printed once; only its hash is kept)
  token list       List bearer tokens
  token revoke     Revoke a bearer token

Run 'bi-scim <command> --help' for a command's options. Settings come from BI_SCIM_* environment variables (see README).`,
  serve: 'Usage: bi-scim serve\n\nStarts the SCIM server with the settings in the BI_SCIM_* environment variables. SIGTERM drains in-flight requests.',
  check: 'Usage: bi-scim check\n\nChecks that the configuration is valid, Redis answers, the BI tool answers, and its credentials are valid and an administrator\'s.\nPrints one line per check with a hint for each failure; exits 1 if any check fails.',
  token: `Usage:
  bi-scim token create --name NAME [--expires DURATION]   DURATION: 90d, 12h, 30m, or an ISO date
  bi-scim token list
  bi-scim token revoke NAME

Tokens live in the store (BI_SCIM_REDIS_URL). Several can be valid at once, so an IdP can be moved to a new
token before the old one is revoked.`,
};

/** `90d`, `12h`, `30m` or an ISO 8601 date → an ISO timestamp. */
export function parseExpiry(value: string, now = Date.now()): string {
  const match = /^(\d+)([dhm])$/.exec(value);
  if (match) return new Date(now + Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm']).toISOString();
  const date = Date.parse(value);
  if (Number.isNaN(date) || date <= now) throw new Error(`--expires must be a duration like 90d or a future date, not "${value}"`);
  return new Date(date).toISOString();
}

async function tokenCommand(args: string[], env: Env, io: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, expires: { type: 'string' }, help: { type: 'boolean' } } });
  const [action, arg] = positionals;
  if (values.help || !action) {
    io.out(HELP.token);
    return values.help ? 0 : 2;
  }
  const { redisUrl } = loadStoreConfig(env);
  const store = await createStore({ redisUrl, logger: { warn: (msg: string) => io.err(`warning: ${msg}`) } });
  try {
    if (action === 'create') {
      if (!values.name) throw new Error('token create needs --name NAME');
      const token = `bscim_${randomBytes(32).toString('base64url')}`;
      await store.putToken({ name: values.name, sha256: sha256Hex(token), createdAt: new Date().toISOString(), expiresAt: values.expires ? parseExpiry(values.expires) : null });
      io.out(token);
      io.err(`Token "${values.name}" created. It is shown only now: paste it into the IdP's provisioning settings.`);
      return 0;
    }
    if (action === 'list') {
      const tokens = await store.listTokens();
      if (tokens.length === 0) io.out('No tokens in the store.');
      for (const t of tokens) {
        const expired = t.expiresAt && Date.parse(t.expiresAt) <= Date.now();
        io.out(`${t.name.padEnd(24)} created ${t.createdAt}  ${t.expiresAt ? `${expired ? 'expired' : 'expires'} ${t.expiresAt}` : 'never expires'}`);
      }
      return 0;
    }
    if (action === 'revoke') {
      const name = arg ?? values.name;
      if (!name) throw new Error('token revoke needs a NAME');
      if (!(await store.deleteToken(name))) {
        io.err(`No token named "${name}".`);
        return 1;
      }
      io.out(`Token "${name}" revoked.`);
      return 0;
    }
    io.err(`Unknown token action "${action}".\n\n${HELP.token}`);
    return 2;
  } finally {
    await store.close();
  }
}

export async function runCli(argv: string[], env: Env, io: Out): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP[command] ?? HELP.main);
    return HELP[command] ? 0 : 2;
  }
  try {
    switch (command) {
      case 'serve': {
        const config = loadConfig(env);
        const logger = createLogger(config.logLevel);
        const sidecar = await startSidecar(config, logger);
        let draining = false;
        // The first signal drains (readiness fails, in-flight requests finish); a second one exits at once.
        const stop = (signal: string) => {
          if (draining) {
            logger.warn({ signal }, 'second signal: exiting without waiting');
            process.exit(1);
          }
          draining = true;
          logger.info({ signal, ...config.shutdown }, 'draining');
          sidecar.shutdown().then(
            (finished) => {
              if (!finished) logger.warn('in-flight requests did not finish within the shutdown timeout');
              process.exit(finished ? 0 : 1);
            },
            () => process.exit(1),
          );
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        return -1;
      }
      case 'check':
        return (await runChecks(env, io)) ? 0 : 1;
      case 'token':
        return await tokenCommand(rest, env, io);
      default:
        io.err(`Unknown command "${command}".\n\n${HELP.main}`);
        return 2;
    }
  } catch (err) {
    io.err(err instanceof ConfigError ? `bi-scim: ${err.message}` : `bi-scim: ${(err as Error).message}`);
    return 1;
  }
}
