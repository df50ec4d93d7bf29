// A pass-through proxy to a real Superset that can swap the next bearer token for the same token, expired and
// re-signed with Superset's own key: Superset's genuine "Token has expired" answer, without waiting for the clock.
import { createHmac } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExpiringProxy {
  url: string;
  /** The next request's bearer token reaches Superset expired (exp an hour ago). */
  expireNextToken(): void;
  close(): Promise<void>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The same claims with iat/nbf/exp moved into the past, signed HS256 with `secretKey` (flask-jwt-extended's default). */
export function expiredCopy(jwt: string, secretKey: string): string {
  const [header, payload] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const signed = `${header}.${base64url(JSON.stringify({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }))}`;
  return `${signed}.${createHmac('sha256', secretKey).update(signed).digest('base64url')}`;
}

export async function startExpiringProxy(target: string, secretKey: string): Promise<ExpiringProxy> {
  const upstream = new URL(target);
  let expireNext = false;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const headers = { ...req.headers, host: upstream.host };
    const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''));
    if (expireNext && bearer) {
      expireNext = false;
      headers.authorization = `Bearer ${expiredCopy(bearer[1], secretKey)}`;
    }
    const out = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    expireNextToken: () => {
      expireNext = true;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
