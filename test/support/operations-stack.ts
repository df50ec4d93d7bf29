// The operations layer end to end: the real bi-scim process on its own Redis database, a config file with the guard
// and webhooks under test, a signed-alert receiver, and the CLI run as a process with the server's settings.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { ALERT_EVENTS } from '../../src/operations/alerts.ts';
import type { AuditEvent } from '../../src/operations/audit.ts';
import { startSidecarProcess, type SidecarProcess } from './sidecar-process.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_TIMEOUT_MS = 60_000;
const run = promisify(execFile);

/** The name of the variable holding the receiver's HMAC secret (alerts.webhooks[].secretEnv). */
const SECRET_ENV = 'BI_SCIM_TEST_WEBHOOK_SECRET';
const WEBHOOK_SECRET = 'whsec-operations-e2e-0123456789';

export interface StackOptions {
  /** BI_SCIM_TARGET* variables: the BI tool and bi-scim's credentials for it. */
  target: Record<string, string>;
  /** `name: token` pairs for BI_SCIM_TOKENS, so the audit trail names each IdP. */
  tokens: Record<string, string>;
  /** A Redis database of the suite's own, flushed before the server starts. */
  redisUrl: string;
  /** Config file keys besides alerts (guard, drift, groupMappings…); the drift schedule is off unless given. */
  config?: Record<string, unknown>;
  /** More webhooks besides the signed receiver, which gets every event (`user.deprovisioned` included). */
  extraWebhooks?: Array<Record<string, unknown>>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface OperationsStack {
  sidecar: SidecarProcess;
  receiver: WebhookReceiver;
  /** The environment the server runs with; the CLI gets the same. */
  env: Record<string, string>;
  /** A SCIM request with the token named `tokenName` as the bearer. */
  scim(tokenName: string, path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** `node src/main.ts <args>` with the server's settings. */
  cli(...args: string[]): Promise<CliResult>;
  /** `bi-scim audit --format json --limit 10000 <args>`, oldest first. */
  audit(...args: string[]): Promise<AuditEvent[]>;
  stop(): Promise<void>;
}

async function flushRedisDb(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** JSON lines as printed by `--format json`; anything else on stdout is an error. */
export function jsonLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export async function startOperationsStack(options: StackOptions): Promise<OperationsStack> {
  await flushRedisDb(options.redisUrl);
  const receiver = await startWebhookReceiver(WEBHOOK_SECRET);
  const config = {
    drift: { intervalMinutes: 0 },
    ...options.config,
    alerts: {
      webhooks: [{ name: 'receiver', url: receiver.url, format: 'json', secretEnv: SECRET_ENV, events: [...ALERT_EVENTS] }, ...(options.extraWebhooks ?? [])],
    },
  };
  const configPath = join(await mkdtemp(join(tmpdir(), 'bi-scim-ops-')), 'bi-scim.yaml');
  await writeFile(configPath, stringify(config));
  const env: Record<string, string> = {
    ...options.target,
    BI_SCIM_TOKENS: Object.entries(options.tokens)
      .map(([name, token]) => `${name}:${token}`)
      .join(','),
    BI_SCIM_REDIS_URL: options.redisUrl,
    BI_SCIM_CONFIG: configPath,
    [SECRET_ENV]: WEBHOOK_SECRET,
  };
  let sidecar: SidecarProcess;
  try {
    sidecar = await startSidecarProcess(env);
  } catch (err) {
    await receiver.close();
    throw err;
  }
  const cli = async (...args: string[]): Promise<CliResult> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['src/main.ts', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        timeout: CLI_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const { code, stdout, stderr } = err as { code?: number; stdout?: string; stderr?: string };
      if (typeof code !== 'number') throw err;
      return { code, stdout: stdout ?? '', stderr: stderr ?? '' };
    }
  };
  return {
    sidecar,
    receiver,
    env,
    scim(tokenName, path, { json, headers, ...init } = {}) {
      const token = options.tokens[tokenName];
      if (!token) throw new Error(`No token named ${tokenName}`);
      return fetch(`${sidecar.url}${path}`, {
        ...init,
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
      });
    },
    cli,
    async audit(...args) {
      const result = await cli('audit', '--format', 'json', '--limit', '10000', ...args);
      if (result.code !== 0) throw new Error(`bi-scim audit exited with ${result.code}: ${result.stderr}`);
      return jsonLines<AuditEvent>(result.stdout).reverse();
    },
    async stop() {
      await sidecar.stop();
      await receiver.close();
    },
  };
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A person as Okta creates one. */
export function personBody(email: string, givenName = 'Given', familyName = 'Family'): Record<string, unknown> {
  return { schemas: [USER], userName: email, name: { givenName, familyName }, emails: [{ value: email, primary: true, type: 'work' }], active: true };
}

export function groupBody(displayName: string, memberIds: string[] = []): Record<string, unknown> {
  return { schemas: [GROUP], displayName, members: memberIds.map((value) => ({ value })) };
}

/** Okta's catalog deactivation: a path-less replace (idp-behaviour.md §1.3). */
export const DEACTIVATE = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };

export function removeMemberBody(userId: string): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] };
}

export function addMemberBody(userId: string): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] };
}

/** The id of a SCIM resource just created, or an error with the answer. */
export async function createdId(answer: Promise<Response>): Promise<string> {
  const res = await answer;
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`expected 201 with an id, got ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** One sample of the server's /metrics, e.g. `bi_scim_guard_tripped` or `bi_scim_drift_findings{kind="admin-grant",severity="critical"}`; null when absent. */
export async function metricValue(stack: OperationsStack, sample: string): Promise<number | null> {
  const text = await (await fetch(stack.sidecar.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? null : Number(line.slice(sample.length + 1));
}
