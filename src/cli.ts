// The bi-scim command line: serve | check | token | audit | guard | drift | reconcile | plan — each with --help.
import pino from 'pino';
import { auditCommand, AUDIT_HELP } from './commands/audit.ts';
import { driftCommand, DRIFT_HELP, reconcileCommand, RECONCILE_HELP } from './commands/drift.ts';
import { guardCommand, GUARD_HELP } from './commands/guard.ts';
import { planCommand, PLAN_HELP } from './commands/plan.ts';
import type { Io } from './commands/output.ts';
import { tokenCommand, TOKEN_HELP } from './commands/token.ts';
import { ConfigError, loadConfig, loadOperatorConfig, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { runChecks } from './checks.ts';
import { noMetrics } from './metrics.ts';
import { createAuditTrail, recordBiCall } from './operations/audit.ts';
import { DriftMonitor } from './operations/drift-monitor.ts';
import { createOperations, provisioningOptions, type Operations } from './operations/setup.ts';
import { createProvisioning, type Provisioning } from './provisioning/context.ts';
import { startSidecar } from './server.ts';
import { createStore } from './store/index.ts';
import type { MappingStore } from './store/mapping-store.ts';
import { createTarget } from './targets/index.ts';

type Env = Record<string, string | undefined>;

const HELP: Record<string, string> = {
  main: `Usage: bi-scim <command> [options]

Commands:
  serve            Start the SCIM server (the default)
  check            Check configuration, Redis, the BI tool and its credentials
  token            Create, list (with last use and age) or revoke bearer tokens for the IdPs
  audit            Read the audit trail: filter, export as JSON lines or CSV, or follow it
  guard            See the deprovisioning guard, approve held deprovisioning, or reset it
  drift            Scan the BI tool for changes made outside SCIM (admin grants, reactivations, members, names)
  reconcile        Print the BI calls that restore what the IdPs declared; --apply makes them; --rebuild after losing Redis
  plan             Show what dry-run tokens would do to the BI tool (people, groups, BI calls), or discard it

Run 'bi-scim <command> --help' for a command's options. Settings come from BI_SCIM_* environment variables and the
file BI_SCIM_CONFIG names (see README).`,
  serve: 'Usage: bi-scim serve\n\nStarts the SCIM server with the settings in the BI_SCIM_* environment variables. SIGTERM drains in-flight requests.',
  check:
    "Usage: bi-scim check\n\nChecks that the configuration is valid, Redis answers, the BI tool answers, and its credentials are valid and an administrator's.\nPrints one line per check with a hint for each failure; exits 1 if any check fails.",
  token: TOKEN_HELP,
  audit: AUDIT_HELP,
  guard: GUARD_HELP,
  drift: DRIFT_HELP,
  reconcile: RECONCILE_HELP,
  plan: PLAN_HELP,
};

const quietLogger = pino({ level: 'silent' });

async function withStore<T>(redisUrl: string | null, io: Io, fn: (store: MappingStore) => Promise<T>): Promise<T> {
  const store = await createStore({ redisUrl, logger: { warn: (msg: string) => io.err(`warning: ${msg}`) } });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

interface Operator {
  ops: Operations;
  p: Provisioning;
  monitor: DriftMonitor;
}

/**
 * The operations layer against the configured BI tool and store, for verbs that act as the server would: the same
 * rules, audit trail and alerts (webhook secrets from `env`; pending alerts get a few seconds to go out at the end).
 */
async function withOperations<T>(config: Config, env: Env, io: Io, fn: (operator: Operator) => Promise<T>): Promise<T> {
  return withStore(config.redisUrl, io, async (store) => {
    const target = await createTarget(config, { withLock: (key, run) => store.withLock(key, run), onCall: recordBiCall });
    const ops = createOperations({ config, store, target, logger: quietLogger, metrics: noMetrics, env });
    try {
      const p = createProvisioning({
        store,
        target,
        logger: quietLogger,
        metrics: noMetrics,
        audit: ops.audit,
        guard: ops.guard,
        options: provisioningOptions(config),
      });
      return await fn({ ops, p, monitor: new DriftMonitor({ p, settings: config.drift, logger: quietLogger }) });
    } finally {
      await ops.alerts.close(5_000);
      await target.close();
    }
  });
}

/** Starts the server; -1 tells main.ts to keep the process running. */
async function serve(env: Env): Promise<number> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const sidecar = await startSidecar(config, logger, env);
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

async function operatorCommand(command: string, rest: string[], env: Env, io: Io): Promise<number> {
  if (command === 'guard') return withOperations(loadConfig(env), env, io, ({ ops }) => guardCommand(rest, ops, io));
  if (command === 'drift') return withOperations(loadConfig(env), env, io, (operator) => driftCommand(rest, operator, io));
  if (command === 'reconcile') return withOperations(loadConfig(env), env, io, (operator) => reconcileCommand(rest, operator, io));
  if (command === 'plan') return withOperations(loadConfig(env), env, io, (operator) => planCommand(rest, operator, io));
  const operator = loadOperatorConfig(env);
  return withStore(operator.redisUrl, io, (store) => {
    if (command === 'audit') return auditCommand(rest, store, io, signalOnInterrupt());
    const audit = createAuditTrail({ store, logger: quietLogger, metrics: noMetrics, retention: operator.file.audit });
    return tokenCommand(rest, { store, configured: operator.idpTokens, rotateAfterDays: operator.file.tokens.rotateAfterDays, audit }, io);
  });
}

/** Aborted by Ctrl+C, so `--follow` ends cleanly. */
function signalOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return controller.signal;
}

export async function runCli(argv: string[], env: Env, io: Io): Promise<number> {
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
    if (command === 'serve') return await serve(env);
    if (command === 'check') return (await runChecks(env, io)) ? 0 : 1;
    if (['token', 'audit', 'guard', 'drift', 'reconcile', 'plan'].includes(command)) {
      if (command === 'token' && rest.length === 0) {
        io.out(TOKEN_HELP);
        return 2;
      }
      return await operatorCommand(command, rest, env, io);
    }
    io.err(`Unknown command "${command}".\n\n${HELP.main}`);
    return 2;
  } catch (err) {
    io.err(err instanceof ConfigError ? `bi-scim: ${err.message}` : `bi-scim: ${(err as Error).message}`);
    return 1;
  }
}
