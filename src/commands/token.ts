// `bi-scim token create|list|revoke`: bearer tokens for the IdPs, printed once, kept as hashes, with their use and age.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AuditSink } from '../operations/audit.ts';
import { reportTokens, type TokenReport } from '../operations/tokens.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import { sha256Hex, type NamedToken } from '../tokens.ts';
import { parseFormat, printRows, type Column, type Io } from './output.ts';

export const TOKEN_HELP = `Usage:
  bi-scim token create --name NAME [--expires DURATION] [--dry-run] [--by NAME]   DURATION: 90d, 12h, 30m, or an ISO date
  bi-scim token list [--format table|json]
  bi-scim token revoke NAME [--by NAME]

Tokens live in the store (BI_SCIM_REDIS_URL). Several can be valid at once, so an IdP can be moved to a new
token before the old one is revoked. \`list\` shows every token, those in BI_SCIM_TOKENS too, with its last use
and age; tokens older than tokens.rotateAfterDays (default 90) are flagged ROTATE.

--dry-run makes a token whose writes are answered as usual but never reach the BI tool: each BI call it would
make is kept in a plan (see \`bi-scim plan\`), and its reads see the BI tool with that plan laid over it.`;

/** `90d`, `12h`, `30m` or an ISO 8601 date → an ISO timestamp. */
export function parseExpiry(value: string, now = Date.now()): string {
  const match = /^(\d+)([dhm])$/.exec(value);
  if (match) return new Date(now + Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm']).toISOString();
  const date = Date.parse(value);
  if (Number.isNaN(date) || date <= now) throw new Error(`--expires must be a duration like 90d or a future date, not "${value}"`);
  return new Date(date).toISOString();
}

const days = (seconds: number | null) => (seconds === null ? '' : `${Math.floor(seconds / 86_400)}d`);

const COLUMNS: Column<TokenReport>[] = [
  { header: 'NAME', value: (t) => t.name },
  { header: 'SOURCE', value: (t) => t.source },
  { header: 'CREATED', value: (t) => t.createdAt ?? '' },
  { header: 'EXPIRES', value: (t) => (t.expiresAt ? `${t.expired ? 'expired ' : ''}${t.expiresAt}` : 'never expires') },
  { header: 'LAST USED', value: (t) => (t.lastUsedAt ? `${t.lastUsedAt} ${t.lastUserAgent ?? ''}`.trim() : 'never'), max: 60 },
  { header: 'AGE', value: (t) => days(t.ageSeconds) },
  {
    header: 'FLAGS',
    value: (t) => [t.dryRun && 'DRY RUN', t.rotationDue && 'ROTATE', t.expiresSoon && 'EXPIRES SOON', t.expired && 'EXPIRED'].filter(Boolean).join(' '),
  },
];

export interface TokenContext {
  store: MappingStore;
  configured: NamedToken[];
  rotateAfterDays: number;
  audit: AuditSink;
}

function tokenEvent(action: 'token.create' | 'token.revoke', name: string, by: string | undefined, changes: Array<{ attribute: string; after?: unknown }>) {
  return {
    at: new Date().toISOString(),
    requestId: null,
    caller: null,
    actor: by ?? null,
    action,
    resourceType: 'Token' as const,
    resourceId: name,
    resourceName: name,
    changes,
    biCalls: [],
    outcome: 'success' as const,
  };
}

export async function tokenCommand(args: string[], ctx: TokenContext, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, expires: { type: 'string' }, by: { type: 'string' }, format: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  const [action, arg] = positionals;
  if (action === 'create') {
    if (!values.name) throw new Error('token create needs --name NAME');
    const token = `bscim_${randomBytes(32).toString('base64url')}`;
    const expiresAt = values.expires ? parseExpiry(values.expires) : null;
    const dryRun = values['dry-run'] === true;
    await ctx.store.putToken({ name: values.name, sha256: sha256Hex(token), createdAt: new Date().toISOString(), expiresAt, ...(dryRun ? { dryRun } : {}) });
    const changes = [{ attribute: 'expiresAt', after: expiresAt }, ...(dryRun ? [{ attribute: 'dryRun', after: true }] : [])];
    await ctx.audit.record(tokenEvent('token.create', values.name, values.by, changes));
    io.out(token);
    io.err(`Token "${values.name}" created. It is shown only now: paste it into the IdP's provisioning settings.`);
    if (dryRun) io.err(`It is a dry run: nothing it sends reaches the BI tool. Read what it would do with \`bi-scim plan --token ${values.name}\`.`);
    return 0;
  }
  if (action === 'list') {
    const format = parseFormat(values.format);
    const rows = await reportTokens(ctx.store, ctx.configured, ctx.rotateAfterDays);
    if (rows.length === 0 && format === 'table') io.out('No tokens in the store.');
    else printRows(io, format, COLUMNS, rows, (t) => t);
    return 0;
  }
  if (action === 'revoke') {
    const name = arg ?? values.name;
    if (!name) throw new Error('token revoke needs a NAME');
    if (!(await ctx.store.deleteToken(name))) {
      io.err(`No token named "${name}".`);
      return 1;
    }
    await ctx.audit.record(tokenEvent('token.revoke', name, values.by, []));
    io.out(`Token "${name}" revoked.`);
    return 0;
  }
  io.err(`Unknown token action "${action ?? ''}".\n\n${TOKEN_HELP}`);
  return 2;
}
