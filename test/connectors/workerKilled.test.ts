import t from 'tap';
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { workerConnection } from '../../src/runtime/redis.js';
import { startSimulator } from '../../src/simulator/server.js';
import { requestSync } from '../../src/connectors/sync/runs.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { startSyncWorkers } from '../../src/connectors/sync/worker.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { configWithSources, KEC, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

const sim = await startSimulator({ residents: 600, villages: VILLAGES, seed: 11 });
t.teardown(() => sim.close());
const configDir = configWithSources([{
  id: 'gab-kill', connector: 'opensid-gabungan', kecamatanCode: KEC, enabled: true,
  settings: { baseUrl: sim.url, ...SIM_LOGIN, pageSize: 100, minPageIntervalMs: 0, backoffMs: 50, timeoutMs: 20_000 },
}]);
const th = await startTestHub(t, { api: false, workers: false }, { CONFIG_DIR: configDir });
const db = th.hub.database.db;

t.test('a worker killed mid-page: another worker takes the page over, nothing is lost or doubled', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/connectors/fixtures/syncWorkerProcess.ts'], {
    env: { ...process.env, DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix, CONFIG_DIR: configDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); }));
  sim.fault({ kind: 'slow', path: 'penduduk', page: 3, delayMs: 3000 });
  const r = await requestSync(th.hub.ctx, syncQueueOf(th.hub.ctx.queues), 'gab-kill', 'manual');
  const runId = (r as { runId: number }).runId;
  await eventually(async () => (sim.stats.pageRequests.get('/api/v1/penduduk#3') ?? 0) >= 1);
  child.kill('SIGKILL');
  const [mid] = await rows<{ pages: number; status: string }>(db, sql`select pages, status from sync_runs where id = ${runId}`);
  t.same(mid, { pages: 2, status: 'running' }, 'killed while page 3 was in flight');

  const workers = await startSyncWorkers(th.hub.ctx, () => workerConnection(TEST_REDIS_URL), { lockDurationMs: 2000, stalledIntervalMs: 1000 });
  t.teardown(() => workers.close());
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; pages: number; records_accepted: number; records_quarantined: number; error: string | null }>(db, sql`
      select status, pages, records_accepted, records_quarantined, error from sync_runs where id = ${runId}`);
    return x!.status !== 'running' ? x : null;
  }, 30_000);
  t.equal(done.status, 'succeeded', done.error ?? '');
  const total = [...sim.villageCounts.values()].reduce((a, b) => a + b, 0);
  t.equal(done.pages, Math.ceil(total / 100));
  t.equal(done.records_accepted + done.records_quarantined, total);
  t.equal(sim.stats.pageRequests.get('/api/v1/penduduk#3'), 2, 'page 3 fetched again by the new worker');
  const [n] = await rows<{ n: number; d: number }>(db, sql`select count(*)::int as n, count(distinct (village_code, local_id))::int as d from resident_records`);
  t.equal(n!.n, done.records_accepted);
  t.equal(n!.d, n!.n, 'never doubled');
});
