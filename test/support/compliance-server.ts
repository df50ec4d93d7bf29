// What the SCIM compliance client (.ci/compliance.sh) tests: bi-scim in front of an empty Metabase simulator, on the
// in-memory store, with the deprovisioning guard off (the client deletes far more than an IdP does in a window).
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startSidecar } from '../../src/server.ts';
import { startMetabaseDouble } from './metabase-double.ts';
import { guardOffConfig } from './sidecar-process.ts';

const port = Number(process.env.BI_SCIM_PORT);
const metabase = await startMetabaseDouble();
const config = loadConfig({
  BI_SCIM_TARGET: 'metabase',
  BI_SCIM_TARGET_URL: metabase.url,
  BI_SCIM_TARGET_API_KEY: metabase.apiKey,
  BI_SCIM_TOKENS: process.env.BI_SCIM_TOKENS,
  BI_SCIM_CONFIG: await guardOffConfig(),
  BI_SCIM_HOST: '127.0.0.1',
  BI_SCIM_PORT: String(port),
  BI_SCIM_METRICS_PORT: String(port + 1),
  BI_SCIM_LOG_LEVEL: 'warn',
});
const sidecar = await startSidecar(config, createLogger(config.logLevel));
const stop = async () => {
  await sidecar.shutdown();
  await metabase.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
