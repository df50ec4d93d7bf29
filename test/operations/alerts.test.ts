// Webhook alerts against real HTTP receivers on 127.0.0.1: signed bodies, formats, retries, queue bounds, metrics.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.ts';
import { createLogger } from '../../src/logger.ts';
import { noMetrics } from '../../src/metrics.ts';
import { type Alert, type AlertEvent, alertsConfig, checkAlertSecrets, createAlerts } from '../../src/operations/alerts.ts';
import { VERSION } from '../../src/version.ts';
import { freePort } from '../support/ports.ts';

const SECRET = 'test-hmac-secret-4b1d';
const ENV = { BI_SCIM_ALERT_SECRET: SECRET };

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A receiver that answers the nth request (1-based) as `reply` says; 'hang' never answers. */
async function startReceiver(reply: (n: number) => Reply | Promise<Reply> = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() });
    const answer = await reply(received.length);
    if (answer !== 'hang') res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${port}/hook`, host: `127.0.0.1:${port}`, received };
}

function startAlerts(webhooks: unknown[], options: { queueSize?: number; maxAttempts?: number; timeoutMs?: number; backoffMs?: number } = {}) {
  const metrics = createMetrics();
  const logs: { level: string; msg: string; sink?: string }[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const { webhooks: parsed } = alertsConfig.parse({ webhooks });
  const alerts = createAlerts({ webhooks: parsed, env: ENV, logger, metrics, backoffMs: 20, timeoutMs: 2_000, ...options });
  cleanups.push(() => alerts.close(1_000));
  const count = async (sink: string, result: string) => {
    const line = (await metrics.registry.metrics())
      .split('\n')
      .find((l) => l.startsWith('bi_scim_alerts_total{') && l.includes(`sink="${sink}"`) && l.includes(`result="${result}"`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { alerts, metrics, logs, count };
}

const alert = (event: AlertEvent, details: Record<string, unknown> = { userName: 'ada@example.com', biId: '17' }): Alert => ({
  event,
  at: '2026-03-04T05:06:07.000Z',
  summary: `${event} for ada@example.com`,
  details,
});

/** Polls until `check` holds, for at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('alert configuration', () => {
  it('defaults to no webhooks, JSON format and no event list', () => {
    expect(alertsConfig.parse(undefined)).toEqual({ webhooks: [] });
    expect(alertsConfig.parse({ webhooks: [{ url: 'https://example.com/hook' }] }).webhooks[0]).toEqual({ url: 'https://example.com/hook', format: 'json' });
  });

  it('refuses non-http URLs, unknown or no events, and a secret on a Slack sink', () => {
    const result = alertsConfig.safeParse({
      webhooks: [
        { url: 'ftp://example.com/hook' },
        { url: 'https://example.com/a', events: ['user.created'] },
        { url: 'https://hooks.slack.com/services/T/B/X', format: 'slack', secretEnv: 'SLACK_SECRET' },
        { url: 'https://example.com/c', events: [] },
      ],
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'webhooks.0.url',
      'webhooks.1.events.0',
      'webhooks.2.secretEnv',
      'webhooks.3.events',
    ]);
  });

  it('refuses two sinks with one name, a name given or a host', () => {
    const result = alertsConfig.safeParse({
      webhooks: [
        { url: 'https://hooks.slack.com/services/T/B/X', format: 'slack' },
        { url: 'https://hooks.slack.com/services/T/B/Y', format: 'slack' },
        { name: 'hooks.slack.com', url: 'https://example.com/' },
      ],
    });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['webhooks.1.name', 'another webhook is also named "hooks.slack.com" (its name, else its URL\'s host): give each its own name'],
      ['webhooks.2.name', 'another webhook is also named "hooks.slack.com" (its name, else its URL\'s host): give each its own name'],
    ]);
  });

  it('lists each secret variable that is unset or empty, and createAlerts refuses to start without it', () => {
    const config = alertsConfig.parse({
      webhooks: [{ url: 'https://a.example/h', secretEnv: 'A_SECRET' }, { url: 'https://b.example/h', secretEnv: 'B_SECRET' }, { url: 'https://c.example/h' }],
    });
    expect(checkAlertSecrets(config, { A_SECRET: 'x', B_SECRET: '' })).toEqual(['alerts.webhooks.1.secretEnv: B_SECRET is not set']);
    const logger = createLogger('silent');
    expect(() => createAlerts({ webhooks: config.webhooks, env: {}, logger, metrics: createMetrics() })).toThrow(/A_SECRET is not set.*B_SECRET is not set/);
  });
});

describe('alert delivery', () => {
  it('delivers a JSON alert in the documented shape, signed with HMAC-SHA256 over the raw body', async () => {
    const receiver = await startReceiver();
    const { alerts, count } = startAlerts([{ name: 'siem', url: receiver.url, secretEnv: 'BI_SCIM_ALERT_SECRET' }]);
    alerts.notify(alert('admin.granted'));
    await until(async () => (await count('siem', 'delivered')) === 1);
    const [{ headers, body }] = receiver.received;
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    const signature = Buffer.from(String(headers['x-bi-scim-signature']));
    expect(signature.length === expected.length && timingSafeEqual(signature, expected)).toBe(true);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-bi-scim-event']).toBe('admin.granted');
    expect(JSON.parse(body)).toEqual({
      service: 'bi-scim',
      version: VERSION,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: 'admin.granted',
      at: '2026-03-04T05:06:07.000Z',
      summary: 'admin.granted for ada@example.com',
      details: { userName: 'ada@example.com', biId: '17' },
    });
  });

  it('sends a Slack sink a text line and blocks with the details, unsigned, with mentions defused', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const { alerts, count } = startAlerts([{ name: 'slack', url: receiver.url, format: 'slack' }]);
    alerts.notify(alert('protected.refused', { userName: '<!channel> eve', groups: ['bi-admins', 'finance'] }));
    await until(async () => (await count('slack', 'delivered')) === 1);
    const [{ headers, body }] = receiver.received;
    expect(headers['x-bi-scim-signature']).toBeUndefined();
    const message = JSON.parse(body);
    expect(message.text).toBe('bi-scim protected.refused: protected.refused for ada@example.com');
    expect(message.blocks[1]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*userName*\n&lt;!channel&gt; eve' },
        { type: 'mrkdwn', text: '*groups*\nbi-admins, finance' },
      ],
    });
    expect(body).not.toContain('<!channel>');
  });

  it('sends each sink only its events, and user.deprovisioned only to sinks that list it', async () => {
    const [everything, admins, leavers] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    const { alerts } = startAlerts([
      { name: 'default', url: everything.url },
      { name: 'admins', url: admins.url, events: ['admin.granted', 'admin.revoked'] },
      { name: 'leavers', url: leavers.url, events: ['user.deprovisioned'] },
    ]);
    for (const event of ['admin.granted', 'user.deprovisioned', 'guard.tripped', 'drift.detected'] as const) alerts.notify(alert(event));
    await alerts.close(5_000);
    const events = (receiver: { received: Received[] }) => receiver.received.map((r) => JSON.parse(r.body).event);
    expect(events(everything)).toEqual(['admin.granted', 'guard.tripped', 'drift.detected']);
    expect(events(admins)).toEqual(['admin.granted']);
    expect(events(leavers)).toEqual(['user.deprovisioned']);
  });

  it('delivers after a retry when the receiver first answers 500, with the same body and one log line at each end of the burst', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? { status: 500 } : { status: 200 }));
    const { alerts, count, logs } = startAlerts([{ name: 'flaky', url: receiver.url, secretEnv: 'BI_SCIM_ALERT_SECRET' }]);
    alerts.notify(alert('verify.failed'));
    await until(async () => (await count('flaky', 'delivered')) === 1);
    expect(await count('flaky', 'failed')).toBe(0);
    const [first, second] = receiver.received;
    expect(second.body).toBe(first.body);
    expect(second.headers['x-bi-scim-signature']).toBe(first.headers['x-bi-scim-signature']);
    expect(logs.filter((l) => l.sink === 'flaky').map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'alert sink flaky is failing: verify.failed: HTTP 500 (logged once until it recovers)'],
      ['info', 'alert sink flaky delivers again'],
    ]);
  });

  it('waits as long as a 429 Retry-After asks before trying again', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { alerts, count } = startAlerts([{ name: 'limited', url: receiver.url }], { backoffMs: 10 });
    alerts.notify(alert('guard.tripped'));
    await until(async () => (await count('limited', 'delivered')) === 1);
    expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 4xx refusal, and counts it failed', async () => {
    const receiver = await startReceiver(() => ({ status: 404, body: 'no_service' }));
    const { alerts, count, logs } = startAlerts([{ name: 'gone', url: receiver.url }], { maxAttempts: 5 });
    alerts.notify(alert('admin.revoked'));
    await until(async () => (await count('gone', 'failed')) === 1);
    await alerts.close(1_000);
    expect(receiver.received).toHaveLength(1);
    expect(logs.find((l) => l.level === 'warn')?.msg).toContain('HTTP 404 no_service');
  });

  it('returns from notify at once while the receiver never answers, and counts the alert failed after its attempts', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { alerts, count } = startAlerts([{ name: 'silent', url: receiver.url }], { timeoutMs: 200, maxAttempts: 2 });
    const started = performance.now();
    const returned = alerts.notify(alert('bi.auth_failed'));
    const elapsed = performance.now() - started;
    expect(returned).toBeUndefined();
    expect(receiver.received).toHaveLength(0);
    expect(elapsed).toBeLessThan(50);
    await until(async () => (await count('silent', 'failed')) === 1);
    expect(receiver.received).toHaveLength(2);
  });

  it('counts an alert to a closed port failed, logs the burst once, and never logs the secret or the URL past its host', async () => {
    const port = await freePort();
    const url = `http://hook-user:pw-secret@127.0.0.1:${port}/hooks/path-secret?key=query-secret`;
    const { alerts, count, logs } = startAlerts([{ name: 'down', url, secretEnv: 'BI_SCIM_ALERT_SECRET' }], { maxAttempts: 3 });
    alerts.notify(alert('token.expiring'));
    await until(async () => (await count('down', 'failed')) === 1);
    await alerts.close(1_000);
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0].msg).toMatch(/^alert sink down is failing: token.expiring: ECONNREFUSED/);
    expect(warnings[1]).toMatchObject({ msg: 'alert sink down had undelivered alerts at shutdown', failedAttempts: 3, failed: 1 });
    const written = JSON.stringify(logs);
    for (const secret of [SECRET, 'pw-secret', 'path-secret', 'query-secret']) expect(written).not.toContain(secret);
    expect(written).toContain(`http://127.0.0.1:${port}/…`);
  });

  it('sends a URL userinfo as Basic authorization', async () => {
    const receiver = await startReceiver();
    const { alerts, count } = startAlerts([{ name: 'basic', url: receiver.url.replace('//', '//ops%40corp:s3cr%3At@') }]);
    alerts.notify(alert('admin.granted'));
    await until(async () => (await count('basic', 'delivered')) === 1);
    expect(receiver.received[0].headers.authorization).toBe(`Basic ${Buffer.from('ops@corp:s3cr:t').toString('base64')}`);
  });

  it('counts a burst larger than the queue as dropped, and delivers the rest in order', async () => {
    let release!: () => void;
    const released = new Promise<Reply>((resolve) => (release = () => resolve({ status: 200 })));
    const receiver = await startReceiver(() => released);
    const { alerts, count, logs } = startAlerts([{ name: 'busy', url: receiver.url }], { queueSize: 3 });
    for (let i = 0; i < 10; i++) alerts.notify(alert('admin.granted', { n: i }));
    expect(await count('busy', 'dropped')).toBe(6);
    release();
    await until(async () => (await count('busy', 'delivered')) === 4);
    expect(receiver.received.map((r) => JSON.parse(r.body).details.n)).toEqual([0, 1, 2, 3]);
    expect(logs.filter((l) => l.sink === 'busy').map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'alert sink busy is failing: the queue is full (3 waiting) (logged once until it recovers)'],
      ['info', 'alert sink busy delivers again'],
    ]);
  });

  it('logs an overloaded sink as one burst: once when drops begin, once when it has caught up', async () => {
    const answers: (() => void)[] = [];
    const receiver = await startReceiver(() => new Promise((resolve) => answers.push(() => resolve({ status: 200 }))));
    const { alerts, count, logs } = startAlerts([{ name: 'slow', url: receiver.url }], { queueSize: 1 });
    const answerNext = async (n: number) => {
      await until(() => answers.length >= n);
      answers[n - 1]();
      await until(async () => (await count('slow', 'delivered')) === n);
    };
    for (const n of [1, 2, 3]) alerts.notify(alert('admin.granted', { n })); // 1 sent, 2 waits, 3 dropped
    await answerNext(1);
    for (const n of [4, 5]) alerts.notify(alert('admin.granted', { n })); // 2 sent, 4 waits, 5 dropped
    await answerNext(2);
    await answerNext(3);
    expect(await count('slow', 'dropped')).toBe(2);
    expect(logs.filter((l) => l.sink === 'slow').map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('close() delivers what is queued within its bound', async () => {
    const receiver = await startReceiver(() => new Promise((resolve) => setTimeout(() => resolve({ status: 204 }), 50)));
    const { alerts, count } = startAlerts([{ name: 'slow', url: receiver.url }]);
    for (let i = 0; i < 5; i++) alerts.notify(alert('drift.detected', { n: i }));
    const started = performance.now();
    await alerts.close(5_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(receiver.received).toHaveLength(5);
    expect(await count('slow', 'delivered')).toBe(5);
  });

  it('close() gives up at its bound, counts what is left as dropped, and drops alerts that come after', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { alerts, count } = startAlerts([{ name: 'stuck', url: receiver.url }], { timeoutMs: 10_000 });
    for (let i = 0; i < 3; i++) alerts.notify(alert('guard.tripped'));
    const started = performance.now();
    await alerts.close(300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await count('stuck', 'dropped')).toBe(3);
    alerts.notify(alert('guard.tripped'));
    expect(await count('stuck', 'dropped')).toBe(4);
    expect(receiver.received).toHaveLength(1);
  });

  it('never throws from notify, even for details JSON cannot hold', async () => {
    const receiver = await startReceiver();
    const { alerts, count } = startAlerts([{ name: 'odd', url: receiver.url }]);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => alerts.notify(alert('drift.detected', circular))).not.toThrow();
    expect(() => alerts.notify(alert('drift.detected', { big: 10n }))).not.toThrow();
    expect(await count('odd', 'failed')).toBe(2);
  });
  it('keeps delivering when counting throws, instead of leaving a rejection to end the process', async () => {
    const receiver = await startReceiver();
    const failingMetrics = {
      ...noMetrics,
      alertDelivery: () => {
        throw new Error('metrics are broken');
      },
    };
    const alerts = createAlerts({
      webhooks: alertsConfig.parse({ webhooks: [{ url: receiver.url }] }).webhooks,
      env: {},
      logger: createLogger('silent'),
      metrics: failingMetrics,
    });
    cleanups.push(() => alerts.close(1_000));
    alerts.notify(alert('admin.granted'));
    await until(() => receiver.received.length === 1);
    alerts.notify(alert('admin.revoked'));
    await until(() => receiver.received.length === 2);
  });
});

describe('alert metrics', () => {
  it('has a bi_scim_alerts_total counter before any alert, and counts by sink and result', async () => {
    expect(await createMetrics().registry.metrics()).toContain('# TYPE bi_scim_alerts_total counter');
    const [good, refusing] = await Promise.all([startReceiver(), startReceiver(() => ({ status: 400 }))]);
    const { alerts, metrics } = startAlerts([{ name: 'ops', url: good.url }, { url: refusing.url }]);
    alerts.notify(alert('admin.granted'));
    alerts.notify(alert('admin.revoked'));
    await alerts.close(5_000);
    const lines = (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('bi_scim_alerts_total'));
    expect(lines.sort()).toEqual(
      [`bi_scim_alerts_total{sink="${refusing.host}",result="failed"} 2`, 'bi_scim_alerts_total{sink="ops",result="delivered"} 2'].sort(),
    );
  });
});
