// The deprovisioning guard as use cases see it: a no-op where none is configured.
import type { Provisioning, RequestContext } from './context.ts';

/** Counts `count` deprovisionings against the guard's budget, or throws its 503 (audited as refused). */
export async function admitDeprovisioning(p: Provisioning, ctx: RequestContext, count: number, what: string): Promise<void> {
  await p.guard?.admit(count, what, { requestId: ctx.requestId, caller: ctx.caller });
}
