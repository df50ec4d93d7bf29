// The operations layer of one running sidecar: audit trail, deprovisioning guard, token use — built once from config.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';
import type { ProvisioningOptions } from '../provisioning/context.ts';
import { alertsFor } from './alerting.ts';
import { createAlerts, noAlerts, type Alerts } from './alerts.ts';
import { createAuditTrail, type AuditSink } from './audit.ts';
import { DeprovisioningGuard } from './guard.ts';
import { reportTokens, TokenUsage, type TokenReport } from './tokens.ts';

export interface Operations {
  audit: AuditSink;
  alerts: Alerts;
  guard: DeprovisioningGuard;
  tokenUsage: TokenUsage;
  tokens(): Promise<TokenReport[]>;
  /** Raises token.expiring once per token that is due for rotation or about to expire. */
  warnAboutTokens(): Promise<void>;
}

const TOKEN_WARNINGS = 'token-warnings';

/** What the provisioning use cases take from the configuration: the server and operator commands read it alike. */
export function provisioningOptions(config: Config): ProvisioningOptions {
  return {
    groupMappings: config.groupMappings,
    protectedUsers: config.protectedUsers,
    allowAdminEmailChange: config.allowAdminEmailChange,
    verifyRemovals: config.verifyRemovals,
    usernameTemplate: config.target.kind === 'superset' ? config.superset.usernameTemplate : null,
    hardDelete: config.target.kind === 'superset' && config.superset.hardDelete,
  };
}

export interface OperationsDeps {
  config: Config;
  store: MappingStore;
  target: Target;
  logger: Logger;
  metrics: Metrics;
  /** The environment the webhook secrets are read from (secretEnv); none means no alerts are sent. */
  env?: Record<string, string | undefined>;
  now?: () => number;
}

export function createOperations({ config, store, target, logger, metrics, env, now = Date.now }: OperationsDeps): Operations {
  const alerts = env ? createAlerts({ webhooks: config.alerts.webhooks, env, logger, metrics, now }) : noAlerts;
  const audit = createAuditTrail({
    store,
    logger,
    metrics,
    retention: config.audit,
    onEvent: (event) => {
      for (const alert of alertsFor(event)) alerts.notify(alert);
    },
  });
  return {
    audit,
    alerts,
    guard: new DeprovisioningGuard({ store, settings: config.guard, countActivePeople: () => target.countActiveUsers(), audit, now }),
    tokenUsage: new TokenUsage(store, now),
    tokens: () => reportTokens(store, config.idpTokens, config.tokens.rotateAfterDays, now()),
    async warnAboutTokens() {
      const [reports, warned] = await Promise.all([
        reportTokens(store, config.idpTokens, config.tokens.rotateAfterDays, now()),
        store.getEntries(TOKEN_WARNINGS),
      ]);
      for (const t of reports.filter((r) => (r.rotationDue || r.expiresSoon) && !warned[r.name])) {
        const why = t.expiresSoon ? `expires at ${t.expiresAt}` : `is older than ${config.tokens.rotateAfterDays} days: rotate it`;
        alerts.notify({
          event: 'token.expiring',
          at: new Date(now()).toISOString(),
          summary: `Bearer token "${t.name}" ${why}`,
          details: { token: t.name, source: t.source, expiresAt: t.expiresAt, ageSeconds: t.ageSeconds },
        });
        await store.putEntry(TOKEN_WARNINGS, t.name, { at: new Date(now()).toISOString() });
      }
    },
  };
}
