// The Metabase double in a process of its own (fair on 2 cores), with a control port for its call log and seeding.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startMetabaseDouble, type MetabaseDouble } from '../test/support/metabase-double.ts';

export interface SeedRequest {
  /** People made directly in the double's tables (no API calls, no call records). */
  users?: number;
  prefix?: string;
  /** A group holding every seeded person. */
  groupName?: string;
  /** Empty groups named `${prefix}-group-<n>`. */
  groups?: number;
  /** Existing people put straight into an existing group (no API calls, no call records). */
  members?: { groupId: number; userIds: number[] };
}

export interface SeedResult {
  userIds: number[];
  groupId: number | null;
  groupIds: number[];
}

export interface DoubleSummary {
  activeUsers: number;
  groups: number;
  memberships: number;
}

function seed(double: MetabaseDouble, request: SeedRequest): SeedResult {
  const prefix = request.prefix ?? 'seeded';
  const userIds: number[] = [];
  for (let i = 0; i < (request.users ?? 0); i++) {
    userIds.push(double.seed.user({ email: `${prefix}.${i}@seed.example`, first_name: 'Seeded', last_name: `Person ${i}` }).id);
  }
  const group = request.groupName ? double.seed.group(request.groupName) : null;
  if (group) for (const id of userIds) double.seed.membership(id, group.id);
  const groupIds = Array.from({ length: request.groups ?? 0 }, (_, i) => double.seed.group(`${prefix}-group-${i}`).id);
  for (const id of request.members?.userIds ?? []) double.seed.membership(id, request.members!.groupId);
  return { userIds, groupId: group?.id ?? null, groupIds };
}

function summary(double: MetabaseDouble): DoubleSummary {
  const { directory } = double.core;
  return {
    activeUsers: directory.allUsers().filter((u) => u.type === 'personal' && u.is_active).length,
    groups: directory.allGroups().length,
    memberships: directory.allMemberships().length,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

type Control = (double: MetabaseDouble, url: URL, body: Record<string, unknown>) => unknown;

/** `GET /calls?from=N` lists the calls from index N on; `POST /seed` writes straight into the tables. */
const CONTROLS: Record<string, Control> = {
  'GET /count': (double) => ({ count: double.calls.length }),
  'GET /calls': (double, url) => ({ count: double.calls.length, calls: double.calls.slice(Number(url.searchParams.get('from') ?? 0)) }),
  'POST /seed': (double, _url, body) => seed(double, body as SeedRequest),
  'GET /summary': (double) => summary(double),
};

function reply(res: ServerResponse, status: number, answer: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
}

async function handleControl(double: MetabaseDouble, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control.invalid');
  const control: Control | undefined = CONTROLS[`${req.method} ${url.pathname}`];
  if (!control) return reply(res, 404, { error: `no control ${req.method} ${url.pathname}` });
  try {
    reply(res, 200, control(double, url, await readJson(req)));
  } catch (err) {
    reply(res, 500, { error: (err as Error).message });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { delay: { type: 'string', default: '0' } } });
  const double = await startMetabaseDouble({ delayMs: Number(values.delay) });
  const control = createServer((req, res) => void handleControl(double, req, res));
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  // The parent reads this one line to learn where everything is.
  process.stdout.write(`${JSON.stringify({ url: double.url, control: controlUrl, apiKey: double.apiKey })}\n`);
  const stop = () => {
    control.close();
    void double.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Ends with the bench: a parent that dies closes this pipe.
  process.stdin.resume();
  process.stdin.once('end', stop);
}

await main();
