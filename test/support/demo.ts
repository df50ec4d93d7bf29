// `npm run demo`: bi-scim against the built-in Metabase simulator on the in-memory store, ready for curl, with the
// operator console on and a short replayed Okta sequence, so its pages have something to show.
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startSidecar } from '../../src/server.ts';
import { metabaseByHand } from './metabase-by-hand.ts';
import { startMetabaseDouble } from './metabase-double.ts';
import { metabaseState } from './metabase-state.ts';
import { loadFixture, replayFixture } from './replay.ts';

const port = Number(process.env.BI_SCIM_PORT ?? 8080);
const metabasePort = Number(process.env.DEMO_METABASE_PORT ?? 3000);
const adminPort = Number(process.env.BI_SCIM_ADMIN_PORT ?? port + 2);
const token = process.env.BI_SCIM_TOKENS ?? `demo_${randomBytes(16).toString('hex')}`;
const adminToken = `admin_${randomBytes(16).toString('hex')}`;
/** People the demo directory starts with, so the replayed deactivations stay well inside the guard's budget. */
const STAFF = 10;

const metabase = await startMetabaseDouble({ port: metabasePort });
// The Mappings page shows these; the guard counts against the whole small directory (maxPercent 100).
const configFile = join(await mkdtemp(join(tmpdir(), 'bi-scim-demo-')), 'bi-scim.yaml');
await writeFile(
  configFile,
  `groupMappings:\n  - idpGroup: bi-admins\n    target: Administrators\nprotectedUsers:\n  - ${metabase.adminEmail}\nguard:\n  maxPercent: 100\n`,
);
const config = loadConfig({
  BI_SCIM_TARGET: 'metabase',
  BI_SCIM_TARGET_URL: metabase.url,
  BI_SCIM_TARGET_API_KEY: metabase.apiKey,
  BI_SCIM_TOKENS: token,
  BI_SCIM_ADMIN_TOKENS: `demo-admin:${adminToken}`,
  BI_SCIM_ADMIN_PORT: String(adminPort),
  BI_SCIM_CONFIG: configFile,
  BI_SCIM_HOST: '127.0.0.1',
  BI_SCIM_PORT: String(port),
  BI_SCIM_METRICS_PORT: String(port + 1),
  BI_SCIM_LOG_LEVEL: process.env.BI_SCIM_LOG_LEVEL ?? 'warn',
});
const sidecar = await startSidecar(config, createLogger(config.logLevel));

// An Okta push: a few people, then the catalog app's sequence (creates, groups, membership, a deactivation).
const okta = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' };
for (let i = 1; i <= STAFF; i++) {
  const email = `analyst${i}@northwind.example`;
  await fetch(`${sidecar.url}/Users`, {
    method: 'POST',
    headers: okta,
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: email,
      name: { givenName: 'Analyst', familyName: String(i) },
      emails: [{ value: email, primary: true }],
      active: true,
    }),
  });
}
const { vars } = await replayFixture(loadFixture('okta-catalog'), { baseUrl: sidecar.url, token, readState: metabaseState(metabase) });
// Someone makes a person an administrator in Metabase by hand: the first drift scan, a minute after start, reports it.
await metabaseByHand(metabase).grantAdmin(vars.priyaId);

process.stdout.write(`
bi-scim demo is running against a simulated Metabase (${metabase.url}) on the in-memory store.

  SCIM base URL  ${sidecar.url}
  Bearer token   ${token}
  Metrics        ${sidecar.metricsUrl}
  Console        ${sidecar.consoleUrl}
  Admin token    ${adminToken}   (sign in to the console with this one)

A short Okta sequence was replayed, and one person was made an administrator in Metabase by hand: the console's
Activity and Audit pages show the sequence, and Drift shows the grant after the first scan (a minute from now).

Try it:

  curl -s -H "Authorization: Bearer ${token}" \\
    -H "Content-Type: application/scim+json" \\
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane.doe@example.com","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane.doe@example.com","primary":true}]}' \\
    ${sidecar.url}/Users

  curl -s -H "Authorization: Bearer ${token}" '${sidecar.url}/Users?filter=userName%20eq%20%22jane.doe@example.com%22'

Press Ctrl+C to stop.
`);

const stop = async () => {
  await sidecar.shutdown();
  await metabase.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
