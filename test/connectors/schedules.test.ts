import t from 'tap';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { StageQueues } from '../../src/pipeline/queues.js';
import { registerSyncSchedules } from '../../src/connectors/sync/schedules.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { startSimulator } from '../../src/simulator/server.js';
import type { SourceConfig } from '../../src/config/load.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { configWithSources, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

const sim = await startSimulator({ residents: 300, villages: VILLAGES, seed: 3 });
t.teardown(() => sim.close());
const source = (id: string, village: string, schedule?: string): SourceConfig => ({
  id, villageCode: village, connector: 'opensid-api', enabled: true, ...(schedule ? { schedule } : {}),
  settings: { baseUrl: `${sim.url}/desa/${village}`, ...SIM_LOGIN, residents: true, minPageIntervalMs: 0, backoffMs: 50 },
});
const configured = [source('desa-a', VILLAGES[0]!, '0 2 * * *'), source('desa-b', VILLAGES[1]!, '30 2 * * *'), source('desa-c', VILLAGES[2]!)];
const th = await startTestHub(t, { api: false }, { CONFIG_DIR: configWithSources(configured) });
const queue = syncQueueOf(th.hub.ctx.queues);

/** Another hub instance: its own producer connection and queues on the same prefix and database. */
async function instance() {
  const producer = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const queues = new StageQueues(producer, th.prefix);
  t.teardown(async () => { await syncQueueOf(queues).close(); await queues.close(); await producer.quit(); });
  return { ...th.hub.ctx, queues };
}

t.test('hub instances registering at the same time leave exactly one scheduler per scheduled source', async (t) => {
  const others = await Promise.all([instance(), instance(), instance(), instance()]);
  await Promise.all(others.map((ctx) => registerSyncSchedules(ctx, configured)));
  t.equal(await queue.getJobSchedulersCount(), 2, 'desa-a and desa-b; desa-c has no schedule');
  t.equal(await queue.getDelayedCount(), 2, 'one next run each, not doubled');
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  t.same(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort(), [['desa-a', '0 2 * * *', 'Asia/Jakarta'], ['desa-b', '30 2 * * *', 'Asia/Jakarta']]);
  const next = Object.fromEntries(schedulers.map((s) => [s.key, s.next]));

  // Registering the same config again moves nothing.
  await Promise.all(others.map((ctx) => registerSyncSchedules(ctx, configured)));
  const again = await queue.getJobSchedulers(0, -1, true);
  t.same(Object.fromEntries(again.map((s) => [s.key, s.next])), next, 'unchanged schedules keep their next run');

  // A changed pattern is updated, a source without a schedule any more loses its scheduler.
  const changed = [{ ...configured[0]!, schedule: '15 3 * * *' }, { ...configured[1]!, schedule: undefined }, configured[2]!];
  await Promise.all(others.map((ctx) => registerSyncSchedules(ctx, changed)));
  const after = await queue.getJobSchedulers(0, -1, true);
  t.same(after.map((s) => [s.key, s.pattern]), [['desa-a', '15 3 * * *']]);
  t.equal(await queue.getDelayedCount(), 1);
});

t.test('a bad schedule or settings stop the start with the file and the place', async (t) => {
  const ctx = th.hub.ctx;
  await t.rejects(registerSyncSchedules(ctx, [{ ...configured[0]!, schedule: 'every day' }]), { message: /^config\/sources\.json:\/sources\/0\/schedule: / });
  await t.rejects(registerSyncSchedules(ctx, [{ ...configured[0]!, settings: { baseUrl: 'ftp://x' } }]), { message: /^config\/sources\.json:\/sources\/0\/settings: / });
});

t.test('a scheduled source is pulled when its cron fires', async (t) => {
  await registerSyncSchedules(th.hub.ctx, [{ ...configured[2]!, schedule: '* * * * * *' }]);
  const db = th.hub.database.db;
  const run = await eventually(async () => (await rows<{ trigger: string; status: string; records_accepted: number }>(db, sql`
    select trigger, status, records_accepted from sync_runs where source_id = 'desa-c' and status = 'succeeded' limit 1`))[0], 20_000);
  t.equal(run.trigger, 'schedule');
  t.ok(run.records_accepted > 0);
  await registerSyncSchedules(th.hub.ctx, configured);
  t.equal(await queue.getJobSchedulersCount(), 2);
});
