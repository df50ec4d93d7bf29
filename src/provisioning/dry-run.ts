// Dry-run tokens: the use cases as they run for a real token, over the token's plan and a store view of its own.
import type { AuditSink } from '../operations/audit.ts';
import { dryRunScope, StorePlanBook } from '../operations/plan.ts';
import { ScopedStore } from '../store/scoped.ts';
import { PlanningTarget } from '../targets/planning.ts';
import { createProvisioning, type Provisioning } from './context.ts';

/** Every event of a dry run says so; the trail keeps it out of alerts and metrics. */
function markedDryRun(audit: AuditSink): AuditSink {
  return { record: (event) => audit.record({ ...event, dryRun: true }) };
}

/**
 * The same rules, options and audit trail as `real`, but writes go into the token's plan instead of the BI tool,
 * bi-scim's own records into the token's scope of the store, and nothing is counted by the deprovisioning guard.
 */
export function dryRunProvisioning(real: Provisioning, token: string): Provisioning {
  return createProvisioning({
    target: new PlanningTarget(real.target, new StorePlanBook(real.store, token, real.now)),
    store: new ScopedStore(real.store, dryRunScope(token)),
    logger: real.logger.child({ dryRun: token }),
    metrics: real.metrics,
    options: real.options,
    now: real.now,
    audit: markedDryRun(real.audit),
    guard: null,
  });
}

/** One dry-run provisioning per token, made on its first request and kept (its caches are per token). */
export class DryRuns {
  readonly #real: Provisioning;
  readonly #byToken = new Map<string, Provisioning>();

  constructor(real: Provisioning) {
    this.#real = real;
  }

  for(token: string): Provisioning {
    let p = this.#byToken.get(token);
    if (!p) {
      p = dryRunProvisioning(this.#real, token);
      this.#byToken.set(token, p);
    }
    return p;
  }
}
