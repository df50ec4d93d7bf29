// Gauges read at scrape time from the state bi-scim keeps: dependencies, the guard, tokens, drift, the build.
import { Gauge, type Registry } from 'prom-client';
import type { GuardState } from '../operations/guard.ts';
import type { TokenReport } from '../operations/tokens.ts';

export interface StateSources {
  version: string;
  target: string;
  health(): Promise<{ store: boolean; target: boolean }>;
  guard(): Promise<GuardState | null>;
  tokens(): Promise<TokenReport[]>;
  drift(): Promise<{ findings: Array<{ kind: string; severity: string; count: number }>; lastScanAt: string | null }>;
}

/** A gauge whose value is computed when Prometheus scrapes; a failing source leaves it empty, never the scrape. */
function gauge(registry: Registry, name: string, help: string, labelNames: string[], fill: (g: Gauge) => Promise<void>): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await fill(this).catch(() => undefined);
    },
  });
}

export function registerStateGauges(registry: Registry, sources: StateSources): void {
  gauge(registry, 'bi_scim_build_info', 'Always 1: the version and BI tool kind as labels', ['version', 'target'], async (g) => {
    g.set({ version: sources.version, target: sources.target }, 1);
  });
  gauge(registry, 'bi_scim_target_up', '1 when the BI tool answered and accepted the credentials at the last check', [], async (g) =>
    g.set(Number((await sources.health()).target)),
  );
  gauge(registry, 'bi_scim_store_up', '1 when the store answered at the last check', [], async (g) => g.set(Number((await sources.health()).store)));
  gauge(registry, 'bi_scim_guard_tripped', '1 while deprovisioning is held by the guard', [], async (g) => {
    const state = await sources.guard();
    if (state) g.set(Number(state.tripped !== null && state.approval === null));
  });
  gauge(registry, 'bi_scim_guard_window_deprovisions', 'Deprovisionings in the current window', [], async (g) => {
    const state = await sources.guard();
    if (state) g.set(state.inWindow);
  });
  gauge(registry, 'bi_scim_guard_budget', 'Deprovisionings allowed per window', [], async (g) => {
    const state = await sources.guard();
    if (state?.enabled) g.set(state.budget);
  });
  const perToken = (name: string, help: string, value: (t: TokenReport) => number | null) =>
    gauge(registry, name, help, ['token'], async (g) => {
      for (const token of await sources.tokens()) {
        const v = value(token);
        if (v !== null) g.set({ token: token.name }, v);
      }
    });
  perToken('bi_scim_token_age_seconds', 'Age of each bearer token (from first use for BI_SCIM_TOKENS)', (t) => t.ageSeconds);
  perToken('bi_scim_token_expires_in_seconds', 'Seconds until each expiring token expires', (t) =>
    t.expiresAt ? (Date.parse(t.expiresAt) - Date.now()) / 1000 : null,
  );
  perToken('bi_scim_token_rotation_due', '1 when a token is older than tokens.rotateAfterDays', (t) => Number(t.rotationDue));
  gauge(registry, 'bi_scim_drift_findings', 'Current drift findings by kind and severity', ['kind', 'severity'], async (g) => {
    for (const { kind, severity, count } of (await sources.drift()).findings) g.set({ kind, severity }, count);
  });
  gauge(registry, 'bi_scim_drift_last_scan_timestamp_seconds', 'When the last drift scan finished', [], async (g) => {
    const { lastScanAt } = await sources.drift();
    if (lastScanAt) g.set(Date.parse(lastScanAt) / 1000);
  });
}
