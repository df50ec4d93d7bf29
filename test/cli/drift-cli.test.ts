// `bi-scim drift` and `bi-scim reconcile` as an operator reads them: a server on real Redis and the Metabase double,
// changes made by hand through Metabase's own API, then the CLI's table, plan, --only, --apply and the audit trail.
import { spawn } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { loadConfig } from '../../src/config.ts';
import { startSidecar, type Sidecar } from '../../src/server.ts';
import { createStore } from '../../src/store/index.ts';
import { metabaseByHand } from '../support/metabase-by-hand.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { freePort } from '../support/ports.ts';

/** A Redis database of its own, flushed before the suite. */
const REDIS_DB = 8;
const TOKEN = 'okta:drift-cli-token';
let double: MetabaseDouble;
let sidecar: Sidecar;
let env: Record<string, string>;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function scim(method: string, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${sidecar.url}${path}`, {
    method,
    headers: { authorization: 'Bearer drift-cli-token', 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as { id: string };
}

const person = (name: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: `${name}@example.com`,
  name: { givenName: name, familyName: 'Lee' },
  emails: [{ value: `${name}@example.com`, primary: true }],
  active: true,
});

const ids: Record<string, string> = {};

beforeAll(async () => {
  double = await startMetabaseDouble();
  const redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
  const configFile = join(await mkdtemp(join(tmpdir(), 'bi-scim-drift-cli-')), 'bi-scim.yaml');
  await writeFile(configFile, 'groupMappings:\n  - idpGroup: bi-admins\n    target: Administrators\ndrift:\n  intervalMinutes: 0\n');
  env = {
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_CONFIG: configFile,
  };
  sidecar = await startSidecar(
    loadConfig({ ...env, BI_SCIM_HOST: '127.0.0.1', BI_SCIM_PORT: String(await freePort()), BI_SCIM_METRICS_PORT: String(await freePort()) }),
    pino({ level: 'silent' }),
  );
  for (const name of ['ana', 'ben', 'cara']) ids[name] = (await scim('POST', '/Users', person(name))).id;
  ids.finance = (
    await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Finance', members: [{ value: ids.ana }] })
  ).id;
  await scim('PATCH', `/Users/${ids.cara}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value: { active: false } }],
  });
});

afterAll(async () => {
  await sidecar?.shutdown();
  await double?.close();
});

describe('drift and reconcile on the command line', () => {
  it('says there is no drift while the BI tool holds what the IdP declared', async () => {
    const { code, out } = await run(['drift']);
    expect(code).toBe(0);
    expect(out).toMatch(/^No drift: the BI tool holds what the IdPs declared\.\n\n0 findings; scanned \d+ people and \d+ groups in \d+ BI calls at /);
  });

  it('reports hand-made changes as a table by severity, plans their fixes, narrows with --only, applies them audited', async () => {
    const byHand = metabaseByHand(double);
    await byHand.grantAdmin(ids.ben);
    await byHand.reactivate(ids.cara);
    await byHand.addMember(ids.finance, ids.ben);

    const drift = await run(['drift']);
    expect(drift.code).toBe(0);
    const lines = drift.out.split('\n');
    expect(lines[0]).toMatch(/^SEVERITY +KIND +SUBJECT +DETAIL +SINCE$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^critical +admin-grant +User ${ids.ben} \\(ben@example.com\\) +administrator through Group \\d+ \\(Administrators\\), which no IdP group declares`,
      ),
    );
    expect(lines[2]).toMatch(new RegExp(`^high +reactivated +User ${ids.cara} \\(cara@example.com\\) +reactivated outside SCIM`));
    expect(lines[3]).toMatch(new RegExp(`^medium +member-added +User ${ids.ben} \\(ben@example.com\\) +in Group ${ids.finance} \\(Finance\\)`));
    expect(drift.out).toContain('3 findings (1 critical, 1 high, 1 medium)');

    const json = (await run(['drift', '--format', 'json'])).out.split('\n').map((l) => JSON.parse(l) as { kind: string; severity: string });
    expect(json.map((f) => [f.kind, f.severity])).toEqual([
      ['admin-grant', 'critical'],
      ['reactivated', 'high'],
      ['member-added', 'medium'],
    ]);

    const plan = await run(['reconcile']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(`User ${ids.ben} (ben@example.com)\n  critical  admin-grant`);
    expect(plan.out).toMatch(/→ +remove User \d+ \(ben@example.com\) from Group \d+ \(Administrators\)/);
    expect(plan.out).toMatch(/→ +deactivate User \d+ \(cara@example.com\)/);
    expect(plan.out).toContain('3 BI calls for 3 findings');
    expect(plan.out).toContain('Nothing was changed. Run with --apply to make these calls.');
    expect((await run(['drift', '--format', 'json'])).out.split('\n')).toHaveLength(3);

    const onlyAdmins = await run(['reconcile', '--only', 'admin-grants']);
    expect(onlyAdmins.out).toContain('admin-grant');
    expect(onlyAdmins.out).not.toContain('reactivated');
    expect(onlyAdmins.out).not.toContain('member-added');

    const applied = await run(['reconcile', '--apply', '--by', 'alice']);
    expect(applied, applied.err).toMatchObject({ code: 0, out: 'Applied 3 of 3 fixes.' });
    expect((await run(['drift'])).out).toMatch(/^No drift/);

    const audit = (await run(['audit', '--action', 'reconcile.apply', '--format', 'json'])).out
      .split('\n')
      .map((l) => JSON.parse(l) as { caller: { token: string | null }; actor?: string; outcome: string; resourceName: string });
    expect(audit.map((e) => [e.resourceName, e.outcome, e.actor])).toEqual(
      expect.arrayContaining([
        ['ben@example.com', 'success', 'alice'],
        ['cara@example.com', 'success', 'alice'],
      ]),
    );
    expect(audit).toHaveLength(3);
    const detected = (await run(['audit', '--action', 'drift.detected', '--format', 'json'])).out.split('\n');
    expect(detected).toHaveLength(3);
  });

  it('refuses an unknown --only kind with exit 1 and names the kinds', async () => {
    const { code, err } = await run(['reconcile', '--only', 'everything']);
    expect(code).toBe(1);
    expect(err).toContain('--only takes admin-grants, activation, memberships, attributes, not "everything"');
  });
});

describe('the command line as a process', () => {
  it('hands a slow pipe all of a long output before it exits (bi-scim audit --format json | …)', async () => {
    const store = await createStore({ redisUrl: env.BI_SCIM_REDIS_URL, logger: { warn: () => undefined } });
    const bounds = { maxEntries: 100_000, maxAgeMs: 86_400_000 };
    for (let i = 0; i < 3_000; i++)
      await store.append(
        'audit',
        { at: new Date().toISOString(), action: 'user.update', resourceType: 'User', outcome: 'success', resourceName: `bulk-${i}` },
        bounds,
      );
    await store.close();
    const child = spawn(process.execPath, ['src/main.ts', 'audit', '--format', 'json', '--limit', '10000', '--action', 'user.update'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...env, PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A reader that is slow to start: the pipe fills (64 KiB) long before the command is done writing.
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1_000));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    const lines = Buffer.concat(chunks)
      .toString()
      .split('\n')
      .filter((l) => l.includes('"resourceName":"bulk-'));
    expect(lines).toHaveLength(3_000);
  });

  it('ends quietly, exit 0, when its reader closes the pipe early (bi-scim … | head)', async () => {
    const child = spawn(process.execPath, ['src/main.ts', '--help'], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    const stderr: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(Buffer.concat(stderr).toString()).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
