import pino from 'pino';
import { isEdgePlayError } from '@edgeplay/shared';
import { stopOnSignal } from '@edgeplay/shared/node';
import { describeConfig, loadEdgeConfig } from './config.js';
import { createEdgeNode } from './edge-node.js';
import { runDoctorCommand } from './doctor/doctor-command.js';
import { runKeygen } from './identity/keygen-command.js';
import { printStartProgress } from './progress/start-progress.js';
import { runClaim } from './payouts/claim-command.js';

const USAGE = `usage: edge-node start | edge-node doctor [--json] | edge-node keygen [--out FILE] [--password-file FILE] [--force]
       edge-node claim [--stake] [--broker URL] [--rpc URL]

start   runs an EdgePlay render node: joins the broker with the operator wallet, offers
        the titles in TITLES_DIR and streams them to players
doctor  checks this machine (GPU, encoders, displays, SFU, titles, broker clock, probe
        port, keystore) and says how to fix what is missing; exit code 1 if anything fails
keygen  makes the operator wallet: an encrypted keystore file (password from
        EDGE_KEYSTORE_PASSWORD or --password-file); prints the address
claim   claims the ATH the operator wallet has earned (proof from the broker); --stake
        stakes it instead; \`edge-node claim --help\` says more

Configuration comes from the environment; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === 'keygen') return runKeygen({ argv: argv.slice(1), env: process.env, stdout: process.stdout });
  if (command === 'doctor') {
    return runDoctorCommand({ argv: argv.slice(1), stdout: process.stdout, doctor: { env: process.env } });
  }
  if (command === 'claim') {
    return runClaim({ argv: argv.slice(1), env: process.env, stdout: process.stdout, stderr: process.stderr });
  }
  if (command !== 'start') {
    console.error(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  const config = loadEdgeConfig();
  const logger = pino({ level: config.logLevel, base: { service: 'edge-node' } });
  logger.info({ config: describeConfig(config) }, 'configuration');
  // Progress for a person at a terminal only: the JSON log on stdout is the record that log
  // collectors and the local stack read, and already has a line for each step.
  const printer = process.stderr.isTTY ? printStartProgress(process.stderr, config.brokerUrl) : undefined;
  const node = createEdgeNode({ config, logger, ...(printer ? { progress: printer.progress } : {}) });
  stopOnSignal(node, logger);
  try {
    await node.start();
  } catch (error) {
    printer?.failed(error);
    throw error;
  }
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(isEdgePlayError(error) ? `edge-node: ${error.message}` : error);
    process.exit(1);
  },
);
