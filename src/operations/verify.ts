// Verified removals: every deprovisioning is read back from the BI tool before the IdP is told it succeeded.
import { ScimError } from '../scim/errors.ts';

/**
 * Records on `draft` whether the BI tool shows the removal, and refuses to acknowledge one it does not show: the
 * IdP gets a 502 and retries, the audit event says `verified: false` (and alerts fire from it).
 */
export async function verifyRemoval(enabled: boolean, draft: { verified?: boolean }, what: string, shows: () => Promise<boolean>): Promise<void> {
  if (!enabled) return;
  draft.verified = await shows();
  if (!draft.verified) throw new ScimError('badGateway', `The BI tool answered, but reading it back does not show the ${what}; try again`);
}
