// The log secret scan finds a credential in each form a log line may hold it, and nothing in clean lines.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { collectLogLines, describeFindings, findSecretsInLogs } from './log-secrets.ts';

const token = { name: 'bearer token', value: 'tok/en+with spaces&"quotes"' };
const password = { name: 'Redis password', value: 'p@ssw0rd-redis' };

describe('findSecretsInLogs', () => {
  it.each([
    ['as it is', `{"msg":"x","auth":"Bearer ${token.value}"}`],
    ['escaped inside JSON', `{"msg":${JSON.stringify(`token ${token.value}`)}}`],
    ['percent-encoded in a URL', `{"url":"redis://:${encodeURIComponent(token.value)}@host"}`],
    ['as a Basic credential', `{"header":"Basic ${Buffer.from(token.value).toString('base64')}"}`],
  ])('finds a secret written %s and masks it in the excerpt', (_, line) => {
    const findings = findSecretsInLogs(['{"msg":"clean"}', line], [token, password]);
    expect(findings).toEqual([{ secret: 'bearer token', line: 1, excerpt: expect.stringContaining('[bearer token]') }]);
    expect(describeFindings(findings)).not.toContain(token.value);
  });

  it('finds nothing in lines without the secrets', () => {
    expect(findSecretsInLogs(['{"msg":"request","status":401}', '{"msg":"p@ss"}'], [token, password])).toEqual([]);
  });

  it('refuses to scan for a secret too short to tell from chance', () => {
    expect(() => findSecretsInLogs([], [{ name: 'password', value: 'abc' }])).toThrow(/at least 8/);
  });
});

describe('collectLogLines', () => {
  it('keeps each line the sidecar logger writes, redaction applied', () => {
    const { destination, lines } = collectLogLines();
    const logger = createLogger('debug', destination);
    logger.debug({ password: password.value }, 'first');
    logger.info('second');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['first', 'second']);
    expect(findSecretsInLogs(lines, [password])).toEqual([]);
  });
});
