// The living mirror: drift scans on a schedule (one replica at a time), each finding announced once until resolved.
import type { Logger } from 'pino';
import { operatorContext, type Provisioning } from '../provisioning/context.ts';
import type { AuditEvent } from './audit.ts';
import { scanDrift, type ScanOptions } from './drift.ts';
import { SEVERITIES, type DriftFinding, type DriftReport, type FixCategory } from './drift-types.ts';
import { applyFixes, fixable } from './reconcile.ts';

const LATEST = 'drift:latest';
/** Finding id → when it was first seen: what has been announced and not yet resolved. */
const SEEN = 'drift:seen';
/** A sliding window admitting one scheduled scan per interval across replicas. */
const LEASE = 'drift:lease';
const SCAN_LOCK = 'drift:scan';

export interface DriftSettings {
  intervalMinutes: number;
  autoRevert: FixCategory[];
}

/** Counts by kind and severity, for the gauges and the console's summary. */
export interface DriftSummary {
  findings: Array<{ kind: string; severity: string; count: number }>;
  lastScanAt: string | null;
}

export function summarize(report: DriftReport | null): DriftSummary {
  const counts = new Map<string, { kind: string; severity: string; count: number }>();
  for (const f of report?.findings ?? []) {
    const key = `${f.kind}/${f.severity}`;
    counts.set(key, { kind: f.kind, severity: f.severity, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return { findings: [...counts.values()], lastScanAt: report?.scannedAt ?? null };
}

/** Most severe first, then by subject, so tables and the console read the same. */
export function bySeverity(a: DriftFinding, b: DriftFinding): number {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.id.localeCompare(b.id);
}

function driftEvent(
  at: string,
  action: 'drift.detected' | 'drift.resolved',
  f: { subject: DriftFinding['subject']; kind: string; severity: string; detail: string },
  actor: string,
): AuditEvent {
  return {
    at,
    requestId: null,
    caller: null,
    actor,
    action,
    resourceType: f.subject.type,
    resourceId: f.subject.id,
    resourceName: f.subject.name,
    changes: [],
    biCalls: [],
    outcome: 'success',
    reason: `[${f.severity}] ${f.kind}: ${f.detail}`,
  };
}

export interface DriftMonitorDeps {
  p: Provisioning;
  settings: DriftSettings;
  logger: Logger;
  /** How soon after start the first round runs (a minute by default), so a fresh deployment has a report early. */
  firstRoundMs?: number;
}

export class DriftMonitor {
  readonly #deps: DriftMonitorDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(deps: DriftMonitorDeps) {
    this.#deps = deps;
  }

  async latest(): Promise<DriftReport | null> {
    return ((await this.#deps.p.store.getValue(LATEST)) as DriftReport | null) ?? null;
  }

  async summary(): Promise<DriftSummary> {
    return summarize(await this.latest());
  }

  /**
   * Scans, keeps the report, announces new findings (audit `drift.detected`, which alerts) and resolved ones
   * (`drift.resolved`); accounts no IdP manages are reported but never announced. Scans never overlap.
   */
  async scan(options: ScanOptions & { actor?: string } = {}): Promise<DriftReport> {
    const { p } = this.#deps;
    const actor = options.actor ?? 'drift scan';
    return p.store.withLock(
      SCAN_LOCK,
      async () => {
        const report = await scanDrift(p, options);
        const seen = (await p.store.getEntries(SEEN)) as Record<
          string,
          { firstSeenAt: string; subject: DriftFinding['subject']; kind: string; severity: string; detail: string }
        >;
        const current = new Set<string>();
        for (const f of report.findings) {
          if (f.kind === 'unmanaged') continue;
          current.add(f.id);
          if (seen[f.id]) {
            f.firstSeenAt = seen[f.id].firstSeenAt;
            continue;
          }
          await p.store.putEntry(SEEN, f.id, { firstSeenAt: f.firstSeenAt, subject: f.subject, kind: f.kind, severity: f.severity, detail: f.detail });
          await p.audit.record(driftEvent(report.scannedAt, 'drift.detected', f, actor));
        }
        for (const [id, was] of Object.entries(seen)) {
          if (current.has(id)) continue;
          await p.store.deleteEntry(SEEN, id);
          await p.audit.record(driftEvent(report.scannedAt, 'drift.resolved', { ...was, detail: `resolved: ${was.detail}` }, actor));
        }
        report.findings.sort(bySeverity);
        await p.store.setValue(LATEST, report);
        return report;
      },
      { waitMs: 120_000 },
    );
  }

  /** A scheduled round: scan if this replica holds the interval's lease, then revert the chosen kinds. */
  async #round(): Promise<void> {
    const { p, settings, logger } = this.#deps;
    const intervalMs = settings.intervalMinutes * 60_000;
    // Slightly shorter than the interval, so clocks a little apart do not skip a round.
    const lease = await p.store.admit(LEASE, { nowMs: p.now(), windowMs: intervalMs * 0.9, budget: 1, count: 1, force: false });
    if (!lease.admitted) return;
    const report = await this.scan();
    logger.info({ findings: report.findings.length, biCalls: report.biCalls }, 'drift scan finished');
    const revert = settings.autoRevert.length > 0 ? fixable(report.findings, settings.autoRevert) : [];
    if (revert.length === 0) return;
    const outcomes = await applyFixes(p, operatorContext('drift.autoRevert'), revert, { guarded: true });
    logger.info({ reverted: outcomes.filter((o) => o.ok).length, failed: outcomes.filter((o) => !o.ok).length }, 'drift reverted');
    await this.scan();
  }

  /** Starts the schedule: a first round soon, then one per interval; a no-op when intervalMinutes is 0. */
  start(): void {
    const { settings, logger, firstRoundMs = 60_000 } = this.#deps;
    if (settings.intervalMinutes === 0 || this.#timer) return;
    const tick = () => {
      if (this.#running) return;
      this.#running = this.#round()
        .catch((err: unknown) => logger.warn({ err }, 'drift scan failed'))
        .finally(() => (this.#running = null));
    };
    this.#timer = setTimeout(
      () => {
        tick();
        this.#timer = setInterval(tick, settings.intervalMinutes * 60_000);
        this.#timer.unref();
      },
      Math.min(firstRoundMs, settings.intervalMinutes * 60_000),
    );
    this.#timer.unref();
  }

  /** Stops the schedule and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
