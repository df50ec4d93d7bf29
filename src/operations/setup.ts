// The operations layer of one running sidecar: audit trail, deprovisioning guard, token use — built once from config.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';
import { createAuditTrail, type AuditEvent, type AuditSink } from './audit.ts';
import { DeprovisioningGuard } from './guard.ts';
import { reportTokens, TokenUsage, type TokenReport } from './tokens.ts';

export interface Operations {
  audit: AuditSink;
  guard: DeprovisioningGuard;
  tokenUsage: TokenUsage;
  tokens(): Promise<TokenReport[]>;
}

export interface OperationsDeps {
  config: Config;
  store: MappingStore;
  target: Target;
  logger: Logger;
  metrics: Metrics;
  /** Told of every audit event as it is recorded (alerts). */
  onEvent?: (event: AuditEvent) => void;
  now?: () => number;
}

export function createOperations({ config, store, target, logger, metrics, onEvent, now = Date.now }: OperationsDeps): Operations {
  const audit = createAuditTrail({ store, logger, metrics, retention: config.audit, onEvent });
  return {
    audit,
    guard: new DeprovisioningGuard({ store, settings: config.guard, countActivePeople: () => target.countActiveUsers(), audit, now }),
    tokenUsage: new TokenUsage(store, now),
    tokens: () => reportTokens(store, config.idpTokens, config.tokens.rotateAfterDays, now()),
  };
}
