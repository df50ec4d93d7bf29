// Alert sinks on 127.0.0.1 for end-to-end tests: a receiver that checks bi-scim's HMAC signature and records each
// alert, and a dead one that takes the connection and the request but never answers.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedAlert {
  /** The `X-BI-SCIM-Event` header. */
  eventHeader: string | null;
  /** Whether `X-BI-SCIM-Signature` is `sha256=<hex>` of the raw body with the receiver's secret. */
  signatureValid: boolean;
  body: { service: string; version: string; id: string; event: string; at: string; summary: string; details: Record<string, unknown> };
  raw: string;
}

export interface WebhookReceiver {
  url: string;
  alerts: ReceivedAlert[];
  /** The alerts of one event, in arrival order. */
  of(event: string): ReceivedAlert[];
  /** Polls (every 50 ms, for at most `withinMs`) until `done` holds over the alerts; throws with what arrived otherwise. */
  waitFor(what: string, done: (alerts: ReceivedAlert[]) => boolean, withinMs?: number): Promise<ReceivedAlert[]>;
  close(): Promise<void>;
}

function listening<T extends Server | TcpServer>(server: T): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function readRaw(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function signatureMatches(header: string | undefined, raw: string, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw, 'utf8').digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Answers 204 to every POST and keeps what came, signature checked against `secret`. */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const alerts: ReceivedAlert[] = [];
  const server = createServer((req, res) => {
    readRaw(req).then(
      (raw) => {
        alerts.push({
          eventHeader: (req.headers['x-bi-scim-event'] as string | undefined) ?? null,
          signatureValid: signatureMatches(req.headers['x-bi-scim-signature'] as string | undefined, raw, secret),
          body: JSON.parse(raw) as ReceivedAlert['body'],
          raw,
        });
        res.writeHead(204).end();
      },
      () => res.writeHead(400).end(),
    );
  });
  const port = await listening(server);
  const of = (event: string) => alerts.filter((a) => a.body.event === event);
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    alerts,
    of,
    async waitFor(what, done, withinMs = 15_000) {
      const deadline = Date.now() + withinMs;
      while (!done(alerts)) {
        if (Date.now() > deadline)
          throw new Error(`The webhook receiver did not get ${what} within ${withinMs} ms; it got: ${alerts.map((a) => a.body.event).join(', ') || 'nothing'}`);
        await sleep(50);
      }
      return alerts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface DeadReceiver {
  url: string;
  /** Requests whose bytes arrived and were never answered, with whether the sender has since given up on each. */
  requests: Array<{ firstBytes: string; open: boolean }>;
  /** Requests still held: received, unanswered, connection open. */
  held(): number;
  close(): Promise<void>;
}

/** Accepts connections and reads what is sent, and never answers: a sink that hangs. */
export async function startDeadReceiver(): Promise<DeadReceiver> {
  const requests: DeadReceiver['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    let request: DeadReceiver['requests'][number] | null = null;
    socket.on('data', (chunk) => {
      if (request) return;
      request = { firstBytes: chunk.toString('utf8', 0, Math.min(chunk.length, 200)), open: true };
      requests.push(request);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (request) request.open = false;
    });
    socket.on('error', () => undefined);
  });
  const port = await listening(server);
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    requests,
    held: () => requests.filter((r) => r.open).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
