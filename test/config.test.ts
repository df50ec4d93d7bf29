// The configuration file users start from: config/example.yaml loads as it is, with the defaults it documents.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

const base = { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: 'http://metabase:3000', BI_SCIM_TARGET_API_KEY: 'mb_key', BI_SCIM_TOKENS: 'okta:secret' };

describe('config/example.yaml', () => {
  it('loads, and states the defaults of the operations keys', () => {
    const example = loadConfig({ ...base, BI_SCIM_CONFIG: 'config/example.yaml' });
    const defaults = loadConfig(base);
    expect(example.groupMappings).toEqual([{ idpGroup: 'bi-admins', target: 'Administrators' }]);
    for (const key of ['audit', 'verifyRemovals', 'guard', 'alerts', 'tokens', 'drift'] as const) expect(example[key], key).toEqual(defaults[key]);
  });
});
