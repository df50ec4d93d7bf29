// The test webhook receiver tells a correctly signed alert from a wrongly signed or unsigned one, and the dead
// receiver holds a request without ever answering.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startDeadReceiver, startWebhookReceiver, type DeadReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const SECRET = 'receiver-test-secret';
const body = JSON.stringify({ service: 'bi-scim', version: '0', id: 'x', event: 'guard.tripped', at: '2026-01-01T00:00:00Z', summary: 's', details: {} });
const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

let receiver: WebhookReceiver | undefined;
let dead: DeadReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  await dead?.close();
  receiver = dead = undefined;
});

describe('the webhook receiver', () => {
  it('records each alert and whether its signature is the HMAC-SHA256 of the raw body with its secret', async () => {
    receiver = await startWebhookReceiver(SECRET);
    for (const signature of [sign(SECRET), sign('another-secret'), null]) {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-bi-scim-event': 'guard.tripped' };
      if (signature) headers['x-bi-scim-signature'] = signature;
      expect((await fetch(receiver.url, { method: 'POST', headers, body })).status).toBe(204);
    }
    expect(receiver.alerts.map((a) => [a.body.event, a.eventHeader, a.signatureValid])).toEqual([
      ['guard.tripped', 'guard.tripped', true],
      ['guard.tripped', 'guard.tripped', false],
      ['guard.tripped', 'guard.tripped', false],
    ]);
    await expect(receiver.waitFor('a drift.detected', (all) => all.some((a) => a.body.event === 'drift.detected'), 200)).rejects.toThrow(
      /did not get a drift.detected within 200 ms; it got: guard.tripped, guard.tripped, guard.tripped/,
    );
  });
});

describe('the dead receiver', () => {
  it('takes the request and never answers, until the sender gives up', async () => {
    dead = await startDeadReceiver();
    const sender = new AbortController();
    const sent = fetch(dead.url, { method: 'POST', body, signal: sender.signal });
    const deadline = Date.now() + 5_000;
    while (dead.held() === 0 && Date.now() < deadline) await sleep(10);
    expect(dead.requests).toEqual([{ firstBytes: expect.stringMatching(/^POST \/alerts HTTP\/1\.1/), open: true }]);
    sender.abort();
    await expect(sent).rejects.toThrow();
    for (const until = Date.now() + 5_000; dead.held() > 0 && Date.now() < until; ) await sleep(10);
    expect(dead.requests[0].open).toBe(false);
  });
});
