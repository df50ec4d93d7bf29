// The CPU floor of any Node proxy: node:http in front, undici.request behind, no translation. A process of its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

/** Headers that belong to one hop (RFC 9110 §7.6.1), not to the request being passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function passOn(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined && !HOP_BY_HOP.has(entry[0])),
  );
}

/** The same pool size and keep-alive as bi-scim's own BI client (src/targets/http.ts), so only the work differs. */
async function forward(upstream: string, agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const answer = await request(`${upstream}${req.url}`, {
    method: req.method as 'GET',
    headers: passOn(req.headers),
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    dispatcher: agent,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  res.writeHead(answer.statusCode, { ...passOn(answer.headers), 'content-length': String(body.length) });
  res.end(body);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
  if (!values.upstream) throw new Error('--upstream is required');
  const upstream = values.upstream.replace(/\/+$/, '');
  const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    forward(upstream, agent, req, res).catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The parent reads this one line to learn where the proxy listens.
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  // Ends with the bench: a parent that dies closes this pipe.
  process.stdin.resume();
  process.stdin.once('end', stop);
}

await main();
