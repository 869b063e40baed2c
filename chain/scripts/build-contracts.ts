import { buildContracts } from '../src/compile.js';

/* `npm run build -w chain`: compiles the contracts into chain/build unless they are up to date. */
const started = performance.now();
const force = process.argv.includes('--force');
const result = await buildContracts({ force });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  result.compiled
    ? `[chain] compiled ${result.contracts.join(', ')} in ${seconds} s`
    : `[chain] contracts up to date (${result.hash.slice(0, 12)})`,
);
