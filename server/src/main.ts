import pino from 'pino';
import { isEdgePlayError } from '@edgeplay/shared';
import { createBroker } from './broker.js';
import { describeConfig, loadBrokerConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const logger = pino({ level: config.logLevel, base: { service: 'broker' } });
  logger.info({ config: describeConfig(config) }, 'configuration');
  const broker = createBroker({ config, logger });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    stopping ??= broker.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await broker.start();
}

main().catch((error: unknown) => {
  console.error(isEdgePlayError(error) ? `broker: ${error.message}` : error);
  process.exit(1);
});
