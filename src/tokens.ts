// Bearer tokens as configured (`token`, `sha256:<hex>`, `name:token`, `name:sha256:<hex>`): only their hashes are kept.
import { hash } from 'node:crypto';

/** A token bi-scim accepts, known by name; the token itself is never held, only its SHA-256. */
export interface NamedToken {
  name: string;
  /** Hex SHA-256 of the token. */
  sha256: string;
}

export function sha256Hex(token: string): string {
  return hash('sha256', token, 'hex');
}

const HASHED = /^sha256:([0-9a-f]{64})$/i;
const NAMED = /^([A-Za-z0-9][\w.-]{0,62}):(.+)$/;

/**
 * One configured token. A token that is itself `sha256:<hex>` is a hash; anything before the first colon is its name
 * unless that is `sha256`. Unnamed tokens are called `<unnamed>` (`env-1`, `env-2`… for BI_SCIM_TOKENS).
 */
export function parseConfiguredToken(raw: string, unnamed: string): NamedToken {
  const named = raw.toLowerCase().startsWith('sha256:') ? null : NAMED.exec(raw);
  const [name, secret] = named ? [named[1], named[2]] : [unnamed, raw];
  if (secret.toLowerCase().startsWith('sha256:') && !HASHED.test(secret)) throw new Error('a hashed token must be sha256: followed by 64 hex digits');
  const hashed = HASHED.exec(secret);
  return { name, sha256: hashed ? hashed[1].toLowerCase() : sha256Hex(secret) };
}

/** A comma-separated list; names must be unique so that every request can be told apart in the audit trail. */
export function parseConfiguredTokens(raw: string, unnamedPrefix: string): NamedToken[] {
  const entries = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const tokens = entries.map((entry, i) => parseConfiguredToken(entry, `${unnamedPrefix}-${i + 1}`));
  const seen = new Set<string>();
  for (const { name } of tokens) {
    if (seen.has(name)) throw new Error(`the token name "${name}" is used twice`);
    seen.add(name);
  }
  return tokens;
}
