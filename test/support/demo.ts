// `npm run demo`: bi-scim against the built-in Metabase simulator on the in-memory store, ready for curl.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startSidecar } from '../../src/server.ts';
import { startMetabaseDouble } from './metabase-double.ts';

const port = Number(process.env.BI_SCIM_PORT ?? 8080);
const metabasePort = Number(process.env.DEMO_METABASE_PORT ?? 3000);
const token = process.env.BI_SCIM_TOKENS ?? `demo_${randomBytes(16).toString('hex')}`;

const metabase = await startMetabaseDouble({ port: metabasePort });
const config = loadConfig({
  BI_SCIM_TARGET: 'metabase',
  BI_SCIM_TARGET_URL: metabase.url,
  BI_SCIM_TARGET_API_KEY: metabase.apiKey,
  BI_SCIM_TOKENS: token,
  BI_SCIM_HOST: '127.0.0.1',
  BI_SCIM_PORT: String(port),
  BI_SCIM_METRICS_PORT: String(port + 1),
  BI_SCIM_LOG_LEVEL: process.env.BI_SCIM_LOG_LEVEL ?? 'warn',
});
const sidecar = await startSidecar(config, createLogger(config.logLevel));

process.stdout.write(`
bi-scim demo is running against a simulated Metabase (${metabase.url}) on the in-memory store.

  SCIM base URL  ${sidecar.url}
  Bearer token   ${token}
  Metrics        ${sidecar.metricsUrl}

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
