// The operator console in a real headless Chromium: the real bi-scim process on real Redis and the Metabase double,
// after a replayed Okta sequence; sign-in, every page, export, drift, the guard's one action, CSP, axe, sign-out.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/admin/app.ts';
import { metabaseByHand } from '../support/metabase-by-hand.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { metabaseState } from '../support/metabase-state.ts';
import { freePort } from '../support/ports.ts';
import { emptyDatabase } from '../support/redis-server.ts';
import { loadFixture, replayFixture } from '../support/replay.ts';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';
import { runAxe, CHROMIUM_INSTALL_HINT, chromiumPath, launchChromium, screenshot } from './browser.ts';

const executablePath = chromiumPath();
if (process.env.CI && !executablePath) throw new Error(CHROMIUM_INSTALL_HINT);

const IDP_TOKEN = 'console-test-okta-token';
const ADMIN_SECRET = 'console-test-admin-secret';
/** A Redis database of its own, so flushing it touches no other suite. */
const REDIS_DB = 9;
/** People pushed before the Okta sequence, whom the guard test deactivates. */
const STAFF = 12;
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

let double: MetabaseDouble;
let sidecar: SidecarProcess;
let env: Record<string, string>;
let origin: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let vars: Record<string, string>;
const staffIds: string[] = [];
/** Every URL the browser asked for, and every navigation's Content-Security-Policy header. */
const requested: string[] = [];
const policies: Array<string | null> = [];
const cspViolations: string[] = [];

const scim = (path: string, init: RequestInit = {}) =>
  fetch(`${sidecar.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${IDP_TOKEN}`, 'content-type': 'application/scim+json', 'user-agent': OKTA_AGENT, ...init.headers },
  });

async function visit(path: string): Promise<void> {
  const response = await page.goto(`${origin}${path}`);
  policies.push(response?.headers()['content-security-policy'] ?? null);
}

/** What a person sees in an element, table cells apart by tabs (Playwright's Locator, not a DOM node). */
// biome-ignore lint/performance/useDomNodeTextContent: a Playwright Locator, whose innerText is the rendered text
const visibleText = (locator: Locator) => locator.innerText();

const text = () => visibleText(page.locator('main'));

async function signIn(token: string): Promise<void> {
  await visit('/sign-in');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  double = await startMetabaseDouble();
  const redisUrl = await emptyDatabase(inject('redisUrl'), REDIS_DB);
  const configFile = join(await mkdtemp(join(tmpdir(), 'bi-scim-console-')), 'bi-scim.yaml');
  await writeFile(
    configFile,
    [
      'groupMappings:',
      '  - idpGroup: bi-admins',
      '    target: Administrators',
      'protectedUsers:',
      `  - ${double.adminEmail}`,
      // A budget the Okta sequence stays inside and the guard test goes past (the directory is small).
      'guard:',
      '  maxDeprovisions: 8',
      '  maxPercent: 100',
      // Scans are started by hand (`bi-scim drift`), as an operator would.
      'drift:',
      '  intervalMinutes: 0',
    ].join('\n'),
  );
  env = {
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: `okta-prod:${IDP_TOKEN}`,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_CONFIG: configFile,
    BI_SCIM_ADMIN_TOKENS: `ops:${ADMIN_SECRET}`,
    BI_SCIM_ADMIN_PORT: String(await freePort()),
  };
  sidecar = await startSidecarProcess(env);
  origin = `http://127.0.0.1:${env.BI_SCIM_ADMIN_PORT}`;
  for (let i = 1; i <= STAFF; i++) {
    const email = `staff${i}@northwind.example`;
    const created = await scim('/Users', {
      method: 'POST',
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: email,
        emails: [{ value: email, primary: true }],
        active: true,
      }),
    });
    expect(created.status).toBe(201);
    staffIds.push(((await created.json()) as { id: string }).id);
  }
  ({ vars } = await replayFixture(loadFixture('okta-catalog'), { baseUrl: sidecar.url, token: IDP_TOKEN, readState: metabaseState(double) }));
  if (!executablePath) return;
  browser = await launchChromium(executablePath);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (request) => requested.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await sidecar?.stop();
  await double?.close();
});

describe.skipIf(!executablePath)('the operator console in Chromium', () => {
  it('sends a browser without a session to sign in, and refuses a wrong token and an IdP token', async () => {
    await visit('/audit');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    for (const token of ['not-a-token', IDP_TOKEN]) {
      const answer = page.waitForResponse((r) => r.url().endsWith('/sign-in') && r.request().method() === 'POST');
      await signIn(token);
      expect((await answer).status()).toBe(401);
      expect(await text()).toContain('That is not an admin token.');
    }
    await screenshot(page, 'sign-in');
    expect(await context.cookies()).toEqual([]);
  });

  it('signs in with the keyboard and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    await visit('/sign-in');
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('token');
    await page.keyboard.type(ADMIN_SECRET);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/`);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'bi_scim_console', httpOnly: true, sameSite: 'Strict' });
    expect(await visibleText(page.locator('header'))).toContain('Signed in as ops');
  });

  it('shows health, version, replicas, the guard, drift and the IdP tokens on the Overview', async () => {
    await visit('/');
    const overview = await text();
    expect(overview).toMatch(/BI tool\s+up\s+Metabase/);
    expect(overview).toMatch(/Store\s+up\s+Redis/);
    expect(overview).toContain(double.url);
    expect(overview).toContain('Version 0.1.0');
    const replica = page.getByRole('region', { name: 'Replicas' }).locator('tbody tr');
    await expect.poll(() => replica.count()).toBe(1);
    expect(await visibleText(replica)).toContain('up');
    const token = page.getByRole('region', { name: 'IdP bearer tokens' }).locator('tbody tr', { hasText: 'okta-prod' });
    expect(await visibleText(token)).toContain(OKTA_AGENT);
  });

  it("shows the replayed Okta sequence's events per hour and its callers on Activity", async () => {
    await visit('/activity');
    const byAction = page.getByRole('region', { name: /by action and outcome/ });
    const creates = byAction.locator('tbody tr', { hasText: 'user.create' });
    // The staff and the two people of the Okta sequence, all created successfully.
    expect((await creates.locator('td').allInnerTexts()).slice(1)).toEqual([String(STAFF + 2), '0', '0', String(STAFF + 2)]);
    expect(await page.locator('svg[role="img"] rect').count()).toBeGreaterThan(0);
    const callers = page.getByRole('region', { name: /IdP callers/ });
    const okta = callers.locator('tbody tr', { hasText: 'okta-prod' });
    expect(await visibleText(okta)).toContain(OKTA_AGENT);
    // The sequence's one deliberately wrong token is a refused caller of its own.
    expect(await visibleText(callers.locator('tbody tr', { hasText: '(no valid token)' }))).toMatch(/\t1\t1$/);
    await page.getByLabel('Action', { exact: true }).selectOption('member.remove');
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await page.locator('svg title#chart-title').textContent()).toBe('member.remove events per hour, last 7 days');
    await screenshot(page, 'activity');
  });

  it('lists the audit trail, opens an event onto its before → after and BI calls, filters it and exports CSV and JSON lines', async () => {
    await visit('/audit');
    expect(await page.locator('details.event', { hasText: 'user.create' }).count()).toBeGreaterThan(0);
    await page.getByLabel('Person').fill(vars.priyaEmail);
    await page.getByLabel('Actions').fill('user.create,user.update');
    await page.getByRole('button', { name: 'Filter' }).click();
    const events = page.locator('details.event');
    expect(await events.count()).toBe(2);
    const create = events.filter({ hasText: 'user.create' });
    await create.locator('summary').click();
    const body = await visibleText(create.locator('.body'));
    expect(body).toContain('okta-prod');
    expect(body).toContain(OKTA_AGENT);
    expect(body).toMatch(/userName\s+—\s+"priya\.natarajan@northwind\.example"/);
    expect(body).toMatch(/POST\s+\/api\/user\s+200/);
    await screenshot(page, 'audit');

    const csvDownload = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV' }).click();
    const csv = (await readFile((await (await csvDownload).path())!, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('TIME,ACTION,OUTCOME,RESOURCE,BY,VERIFIED,DETAIL');
    expect(
      csv
        .slice(1)
        .map((line) => line.split(',')[1])
        .sort(),
    ).toEqual(['user.create', 'user.update']);

    const jsonDownload = page.waitForEvent('download');
    await page.getByRole('link', { name: 'JSON lines' }).click();
    const lines = (await readFile((await (await jsonDownload).path())!, 'utf8')).trim().split('\n');
    const exported = lines.map((line) => JSON.parse(line) as { action: string; resourceId: string; biCalls: unknown[] });
    expect(exported.map((e) => e.action).sort()).toEqual(['user.create', 'user.update']);
    for (const event of exported) expect(event.resourceId).toBe(vars.priyaId);

    await visit('/audit?since=yesterday');
    expect(await text()).toContain('The filters could not be read');
  });

  it('shows an administrator grant made by hand in Metabase on Drift, with the plan that reverts it', async () => {
    await metabaseByHand(double).grantAdmin(vars.priyaId);
    const { stdout } = await promisify(execFile)(process.execPath, ['src/main.ts', 'drift', '--format', 'json'], {
      env: { PATH: process.env.PATH, ...env, BI_SCIM_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(stdout).toContain('admin-grant');
    await visit('/drift');
    const finding = page.getByRole('region', { name: 'Drift findings' }).locator('tbody tr', { hasText: 'admin-grant' });
    const row = await visibleText(finding);
    expect(row).toContain('critical');
    expect(row).toContain(`User ${vars.priyaId}`);
    expect(await finding.locator('ul.plan li').count()).toBeGreaterThan(0);
    await screenshot(page, 'drift');
  });

  it('shows the guard holding deprovisioning, and approving it lets the IdP retry through, audited under the admin token name', async () => {
    let held: string | null = null;
    for (const id of staffIds) {
      const answer = await scim(`/Users/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }),
      });
      if (answer.status === 503) {
        held = id;
        break;
      }
      expect(answer.status).toBe(200);
    }
    expect(held).not.toBeNull();
    await visit('/guard');
    expect(await text()).toContain('holding deprovisioning');
    expect(await visibleText(page.getByRole('region', { name: 'Guard events' }))).toContain('guard.tripped');
    await screenshot(page, 'guard');

    // The form without its CSRF token, and a post from another origin, are refused.
    const forged = await context.request.post(`${origin}/guard/approve`, { form: { for: '1h' } });
    expect(forged.status()).toBe(403);
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    const crossSite = await context.request.post(`${origin}/guard/approve`, { form: { for: '1h', csrf: csrf! }, headers: { origin: 'http://evil.example' } });
    expect(crossSite.status()).toBe(403);
    expect(await text()).toContain('holding deprovisioning');

    await page.getByLabel('Let deprovisioning through for').selectOption('1h');
    await page.getByRole('button', { name: 'Approve deprovisioning' }).click();
    await page.waitForURL(`${origin}/guard?approved=1`);
    expect(await text()).toContain('Approved by ops');
    expect(await text()).toMatch(/approved until \S+ by ops/);
    const retry = await scim(`/Users/${held}`, {
      method: 'PATCH',
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }),
    });
    expect(retry.status).toBe(200);
    await visit('/audit?action=guard.approve');
    expect(await visibleText(page.locator('details.event'))).toContain('by ops');
  });

  it('shows the group mappings and protected principals on Mappings', async () => {
    await visit('/mappings');
    const mappings = page.getByRole('region', { name: 'Group mappings' });
    expect(await visibleText(mappings)).toMatch(/bi-admins\s+Administrators\s+not pushed yet/);
    const pushed = await scim('/Groups', {
      method: 'POST',
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'bi-admins' }),
    });
    expect(pushed.status).toBe(201);
    const { id } = (await pushed.json()) as { id: string };
    await visit('/mappings');
    expect(await visibleText(mappings)).toMatch(new RegExp(`bi-admins\\s+Administrators\\s+pushed: SCIM id ${id}`));
    const principals = await visibleText(page.getByRole('region', { name: 'Protected principals' }));
    expect(principals).toContain(double.adminEmail);
    expect(principals).toContain("bi-scim's own account");
    await screenshot(page, 'mappings');
  });

  it('fits a phone screen without sideways scrolling of the page', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', '/activity', '/audit', '/drift', '/guard', '/mappings']) {
      await phone.goto(`${origin}${path}`);
      expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), path).toBe(true);
    }
    await phone.goto(`${origin}/`);
    await phone.screenshot({ path: new URL('./screenshots/overview-phone.png', import.meta.url).pathname, fullPage: true });
    await phone.close();
  });

  it('has no serious or critical accessibility violation on any page (axe-core)', async () => {
    const found: string[] = [];
    for (const path of ['/', '/activity', '/audit', '/drift', '/guard', '/mappings']) {
      await visit(path);
      await page
        .locator('details.event')
        .first()
        .evaluate((d) => d.setAttribute('open', ''), undefined, { timeout: 1_000 })
        .catch(() => undefined);
      const { violations, passes } = await runAxe(page);
      // axe ran its rules on the page (landmarks, labels, contrast…): a page it could not read would pass nothing.
      expect(passes, path).toBeGreaterThan(10);
      for (const v of violations) {
        if (v.impact === 'serious' || v.impact === 'critical')
          found.push(`${path}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('sends its strict CSP with every page and loads nothing from another origin', () => {
    expect(policies.length).toBeGreaterThan(10);
    for (const policy of policies) expect(policy).toBe(CONTENT_SECURITY_POLICY);
    expect(requested.length).toBeGreaterThan(policies.length);
    for (const url of requested) expect(new URL(url).origin).toBe(origin);
    expect(cspViolations).toEqual([]);
  });

  it('signs out, after which pages ask to sign in again', async () => {
    await visit('/');
    // The Overview at the end of the story: a critical drift finding, the guard approved.
    expect(await text()).toMatch(/critical\s+1/);
    await screenshot(page, 'overview');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${origin}/sign-in`);
    expect(await context.cookies()).toEqual([]);
    await visit('/guard');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });
});
