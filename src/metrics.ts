// The Metrics port: what bi-scim counts and times, whatever records it (prom-client in http/metrics.ts, or nothing).
import type { AuditEvent } from './operations/audit.ts';
import type { HttpCallSample } from './targets/http.ts';

export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  observeBiCall(sample: HttpCallSample): void;
  storeError(operation: string): void;
  lockWait(seconds: number): void;
  provisioningEvent(event: AuditEvent): void;
  /** One alert's end at one webhook sink: delivered, failed (refused, or out of attempts) or dropped (queue full, shutdown). */
  alertDelivery(sink: string, result: 'delivered' | 'failed' | 'dropped'): void;
}

/** The trivial twin, for tests and tools that need no metrics. */
export const noMetrics: Metrics = {
  observeRequest: () => undefined,
  observeBiCall: () => undefined,
  storeError: () => undefined,
  lockWait: () => undefined,
  provisioningEvent: () => undefined,
  alertDelivery: () => undefined,
};
