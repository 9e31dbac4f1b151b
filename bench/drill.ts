/**
 * npm run drill [-- --villages 5 --batches 20 --batch-size 500 --port 3310]
 *
 * The reliability drill (bench/drill/run.ts) at full size, printed as JSON, exit 1 when it misses the
 * bar: 0 lost, 0 duplicated, each fault recovered within 60 s, every bad-input probe answered as
 * designed (never 5xx), no personal data in logs or Redis. test/drill/drill.test.ts runs a short one in CI.
 */
import { parseArgs } from 'node:util';
import { drillPassed, runDrill } from './drill/run.js';

const { values } = parseArgs({
  options: {
    villages: { type: 'string', default: '5' },
    batches: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '500' },
    port: { type: 'string', default: '3310' },
    'sweep-every': { type: 'string', default: '10' },
  },
});

const report = await runDrill({
  port: Number(values.port), villages: Number(values.villages), batchesPerVillage: Number(values.batches),
  batchSize: Number(values['batch-size']), sweepEverySeconds: Number(values['sweep-every']), recoveryTimeoutMs: 120_000,
  log: (line) => console.error(`[drill] ${line}`),
});
const verdict = drillPassed(report);
console.log(JSON.stringify({ ...report, passed: verdict.ok, reasons: verdict.reasons }, null, 2));
process.exitCode = verdict.ok ? 0 : 1;
