/**
 * npm run drill [-- --villages 5 --batches 20 --batch-size 200 --pause-ms 1000 --port 3310]
 *
 * The load goes on until every fault is done; --pause-ms keeps it below what the pipeline routes, so a
 * fault's recovery time is the hub coming back, not a backlog the load built.
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
    'batch-size': { type: 'string', default: '200' },
    'pause-ms': { type: 'string', default: '1000' },
    port: { type: 'string', default: '3310' },
    'sweep-every': { type: 'string', default: '10' },
  },
});

const report = await runDrill({
  port: Number(values.port), villages: Number(values.villages), batchesPerVillage: Number(values.batches),
  batchSize: Number(values['batch-size']), pauseMs: Number(values['pause-ms']), sweepEverySeconds: Number(values['sweep-every']), recoveryTimeoutMs: 120_000,
  log: (line) => console.error(`[drill] ${line}`),
});
const verdict = drillPassed(report);
console.log(JSON.stringify({ ...report, passed: verdict.ok, reasons: verdict.reasons }, null, 2));
process.exitCode = verdict.ok ? 0 : 1;
