// Entry point: reads the environment (the only file that does), starts the sidecar, drains on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startSidecar } from './server.ts';

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bi-scim: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const sidecar = await startSidecar(config, logger).catch((err: Error) => {
    logger.fatal({ err }, err.message);
    process.exit(1);
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'draining');
    sidecar.shutdown().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) await main();
