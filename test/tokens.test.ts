// Configured bearer tokens: every accepted form, names for the audit trail, and the mistakes that are refused.
import { describe, expect, it } from 'vitest';
import { parseConfiguredTokens, sha256Hex } from '../src/tokens.ts';

const HEX = 'ab'.repeat(32);

describe('parseConfiguredTokens', () => {
  it('reads plaintext and hashed tokens, named or not, numbering the unnamed ones', () => {
    expect(parseConfiguredTokens(`first-token, okta:second-token, sha256:${HEX.toUpperCase()}, entra:sha256:${HEX}`, 'env')).toEqual([
      { name: 'env-1', sha256: sha256Hex('first-token') },
      { name: 'okta', sha256: sha256Hex('second-token') },
      { name: 'env-3', sha256: HEX },
      { name: 'entra', sha256: HEX },
    ]);
  });

  it('refuses a malformed hash and a name used twice', () => {
    expect(() => parseConfiguredTokens('okta:sha256:abc', 'env')).toThrow('sha256: followed by 64 hex digits');
    expect(() => parseConfiguredTokens('sha256:abc', 'env')).toThrow('sha256: followed by 64 hex digits');
    expect(() => parseConfiguredTokens('okta:one,okta:two', 'env')).toThrow('"okta" is used twice');
  });

  it('ignores empty entries', () => {
    expect(parseConfiguredTokens(' , a-token ,', 'admin')).toEqual([{ name: 'admin-1', sha256: sha256Hex('a-token') }]);
  });
});
