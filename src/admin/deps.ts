// What the console reads: the running sidecar's parts, handed over once by server.ts.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { DependencyHealth } from '../http/health.ts';
import type { DriftMonitor } from '../operations/drift-monitor.ts';
import type { DeprovisioningGuard } from '../operations/guard.ts';
import type { TokenReport } from '../operations/tokens.ts';
import type { Provisioning } from '../provisioning/context.ts';
import type { Child } from './layout.ts';
import type { Replica } from './replicas.ts';
import type { ConsoleSession } from './session.ts';

export interface ConsoleDeps {
  config: Config;
  provisioning: Provisioning;
  logger: Logger;
  health: () => Promise<DependencyHealth>;
  guard: DeprovisioningGuard;
  /** Every IdP token with its last use, age and rotation state. */
  tokens: () => Promise<TokenReport[]>;
  drift: DriftMonitor;
  /** Replicas seen in the last day, this one's own counts written first so they are never a beat behind. */
  replicas: () => Promise<Replica[]>;
  now?: () => number;
}

/** What a page handler gets: the deps, the request's query, the signed-in session. */
export interface PageInput {
  deps: Required<ConsoleDeps>;
  query: Record<string, string>;
  session: ConsoleSession;
}

/** A page's content below its heading; `status` other than 200 for a refused input. */
export interface PageOutput {
  content: Child[];
  status?: 200 | 400 | 403;
}
