import pino from 'pino';
import { isEdgePlayError } from '@edgeplay/shared';
import { stopOnSignal } from '@edgeplay/shared/node';
import { createBroker } from './broker.js';
import { describeConfig, loadBrokerConfig } from './config.js';
import { describePayoutConfig, loadPayoutConfig } from './payouts/payout-config.js';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const logger = pino({ level: config.logLevel, base: { service: 'broker' } });
  const payouts = loadPayoutConfig();
  logger.info({ config: describeConfig(config), payouts: describePayoutConfig(payouts) }, 'configuration');
  const broker = createBroker({ config, logger, payouts });
  stopOnSignal(broker, logger);
  await broker.start();
}

main().catch((error: unknown) => {
  console.error(isEdgePlayError(error) ? `broker: ${error.message}` : error);
  process.exit(1);
});
