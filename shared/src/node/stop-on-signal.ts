import type { Logger } from 'pino';

/**
 * Stops `service` once on SIGINT or SIGTERM, then exits the process: a service's
 * stop() closes its children and sockets before the process goes.
 */
export function stopOnSignal(service: { stop(): Promise<void> }, logger: Logger): void {
  let stopping: Promise<void> | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping');
    stopping ??= service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
