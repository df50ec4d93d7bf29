// Which audit events raise which alerts (design §7.4): one small table, so the mapping is read in one place.
import type { Alert } from './alerts.ts';
import type { AuditEvent } from './audit.ts';

const name = (e: AuditEvent) => [e.resourceType, e.resourceId, e.resourceName && `(${e.resourceName})`].filter(Boolean).join(' ');

/** The alerts one audit event raises; most raise none. */
export function alertsFor(e: AuditEvent): Alert[] {
  const details = {
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    resourceName: e.resourceName,
    requestId: e.requestId,
    caller: e.caller?.token ?? e.actor ?? null,
  };
  const alert = (event: Alert['event'], summary: string, more: Record<string, unknown> = {}): Alert => ({
    event,
    at: e.at,
    summary,
    details: { ...details, ...more },
  });
  const alerts: Alert[] = [];
  if (e.action === 'drift.detected') alerts.push(alert('drift.detected', `Drift on ${name(e)}: ${e.reason ?? ''}`));
  if (e.action === 'guard.tripped') alerts.push(alert('guard.tripped', `Deprovisioning is held: ${e.reason ?? ''}`));
  if (e.outcome === 'refused' && e.cause === 'protection') alerts.push(alert('protected.refused', `Refused to ${e.action} ${name(e)}: ${e.reason ?? ''}`));
  if (e.verified === false) alerts.push(alert('verify.failed', `The BI tool did not show a ${e.action} of ${name(e)} when read back`));
  if (e.outcome === 'failed' && e.cause === 'auth') alerts.push(alert('bi.auth_failed', `The BI tool refused bi-scim's credentials during ${e.action}`));
  if (e.outcome === 'success' && (e.action === 'user.deactivate' || e.action === 'user.delete'))
    alerts.push(alert('user.deprovisioned', `${name(e)} was ${e.action === 'user.delete' ? 'deleted' : 'deactivated'}`));
  if (e.outcome === 'success' && e.admin?.granted?.length)
    alerts.push(alert('admin.granted', `Administrator rights granted to ${e.admin.granted.join(', ')} through ${name(e)}`, { users: e.admin.granted }));
  if (e.outcome === 'success' && e.admin?.revoked?.length)
    alerts.push(alert('admin.revoked', `Administrator rights revoked from ${e.admin.revoked.join(', ')} through ${name(e)}`, { users: e.admin.revoked }));
  return alerts;
}
