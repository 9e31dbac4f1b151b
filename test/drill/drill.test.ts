import t from 'tap';
import { drillPassed, runDrill } from '../../bench/drill/run.js';

// The drill of `npm run drill`, short: two villages pushing while Redis is flushed, both hub processes
// are killed with SIGKILL and Postgres restarts; then the bad-input corpus and the personal-data search.
// Processes start slowly on a busy machine (tsx compiles at start); the drill itself bounds each wait.
t.setTimeout(480_000);

t.test('the hub survives the drill: nothing lost or doubled, back on its own, no 5xx, no personal data out', async (t) => {
  const report = await runDrill({
    port: 3351, villages: 2, batchesPerVillage: 4, batchSize: 100, sweepEverySeconds: 2, pauseMs: 500, recoveryTimeoutMs: 90_000,
    log: (line) => t.comment(line),
  });
  t.comment(JSON.stringify({ ...report, probes: { total: report.probes.total, failed: report.probes.failed } }));
  t.ok(report.accepted > 0, `${report.accepted} records accepted under faults`);
  t.equal(report.lost, 0, 'nothing accepted was lost');
  t.equal(report.duplicated, 0, 'nothing doubled');
  for (const f of report.faults) t.ok(f.recoverSeconds !== null && f.recoverSeconds <= 60, `${f.fault}: recovered in ${f.recoverSeconds} s`);
  t.same(report.probes.failed, [], `all ${report.probes.total} bad-input probes answered as designed`);
  t.same(report.personalDataInLogs, [], 'no NIK, KK or name in the logs');
  t.same(report.personalDataInRedis, [], 'no NIK, KK or name in Redis');
  t.ok(report.serveRestarts >= 1 && report.workerRestarts >= 1, 'both processes brought back by their supervisors');
  const verdict = drillPassed(report);
  t.ok(verdict.ok, verdict.reasons.join('; ') || 'bar met');
});
