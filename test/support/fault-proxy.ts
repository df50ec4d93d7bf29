// A fault-injecting HTTP proxy in front of the Metabase double: seeded 503s before writes, answers lost after them, slow answers.
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Random } from './seeded-random.ts';

/** What the proxy does to the calls passing through it; the double behind it stays exactly as metabase-api.md says. */
export interface FaultSettings {
  /** Share of writes (POST, PUT, DELETE) answered 503 without reaching the BI tool. */
  failBefore: number;
  /** Share of writes the BI tool applies whose answer is then lost: the caller's connection is destroyed. */
  loseAfter: number;
  /** Every answer waits a uniform number of ms in this range… */
  delayMs: readonly [number, number];
  /** …and this share of answers waits `slowMs` more. */
  slowShare: number;
  slowMs: number;
}

export const NO_FAULTS: FaultSettings = { failBefore: 0, loseAfter: 0, delayMs: [0, 0], slowShare: 0, slowMs: 0 };

export interface FaultCounts {
  /** Calls that reached the BI tool (lost answers included). */
  forwarded: number;
  failedBefore: number;
  lostAfter: number;
  slowed: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port>: give this to bi-scim as the BI tool's URL. */
  url: string;
  /** Switches faults for the calls that arrive from now on. */
  set(settings: FaultSettings): void;
  counts(): FaultCounts;
  close(): Promise<void>;
}

/** Metabase's own answer while it cannot serve (metabase-api.md §3.3). */
const UNAVAILABLE_TEXT = 'Metabase is still initializing. Please sit tight...';
const WRITES = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One decision per call, always drawing the same four numbers so a seed gives one sequence of decisions. */
interface Decision {
  failBefore: boolean;
  loseAfter: boolean;
  waitMs: number;
  slow: boolean;
}

function decide(random: Random, settings: FaultSettings, method: string): Decision {
  const [fail, lose, delay, slow] = [random(), random(), random(), random()];
  const write = WRITES.has(method);
  const [min, max] = settings.delayMs;
  const isSlow = slow < settings.slowShare;
  return {
    failBefore: write && fail < settings.failBefore,
    loseAfter: write && lose < settings.loseAfter,
    waitMs: min + delay * (max - min) + (isSlow ? settings.slowMs : 0),
    slow: isSlow,
  };
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

function forward(agent: Agent, target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...forwardHeaders(req.headers), 'content-length': body.length },
        agent,
      },
      (res) => readAll(res).then((data) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: data }), reject),
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

interface ProxyState {
  agent: Agent;
  target: URL;
  random: Random;
  settings: FaultSettings;
  counts: FaultCounts;
}

/** One call: refused before the BI tool sees it, or forwarded and then answered (late, or never). */
async function relay(state: ProxyState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readAll(req);
  const decision = decide(state.random, state.settings, (req.method ?? 'GET').toUpperCase());
  if (decision.slow) state.counts.slowed++;
  if (decision.failBefore) {
    state.counts.failedBefore++;
    await sleep(decision.waitMs);
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(UNAVAILABLE_TEXT);
    return;
  }
  state.counts.forwarded++;
  const answer = await forward(state.agent, state.target, req, body);
  await sleep(decision.waitMs);
  if (decision.loseAfter) {
    state.counts.lostAfter++;
    req.socket.destroy();
    return;
  }
  res.writeHead(answer.status, { ...forwardHeaders(answer.headers), 'content-length': answer.body.length }).end(answer.body);
}

export async function startFaultProxy({ upstream, random }: { upstream: string; random: Random }): Promise<FaultProxy> {
  const state: ProxyState = {
    agent: new Agent({ keepAlive: true, maxSockets: 64 }),
    target: new URL(upstream),
    random,
    settings: NO_FAULTS,
    counts: { forwarded: 0, failedBefore: 0, lostAfter: 0, slowed: 0 },
  };
  const server = createServer((req, res) => {
    relay(state, req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (next) => void (state.settings = next),
    counts: () => ({ ...state.counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        state.agent.destroy();
      }),
  };
}
