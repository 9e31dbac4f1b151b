import t from 'tap';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { recoverySweep } from '../../src/pipeline/recovery.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

async function submit(url: string, key: string, from: number, count: number) {
  for (let i = from; i < from + count; i += 100) {
    const batch = Array.from({ length: Math.min(100, from + count - i) }, (_, k) => ({
      externalId: `stuck-${i + k}`, service: 'KTP_EL_BARU', applicant: applicant(i + k),
    }));
    const res = await fetch(`${url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ registrations: batch }),
    });
    if (res.status !== 202) throw new Error(`submit failed: ${res.status}`);
  }
}

t.test('a stage failing longer than all its attempts: every record is routed once the cause is gone', async (t) => {
  const th = await startTestHub(t, {}, { STAGE_ATTEMPTS: '2', STAGE_BACKOFF_MS: '50', SWEEP_EVERY_SECONDS: '1' });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  await db.execute(sql`alter table deliveries rename to deliveries_away`);
  await submit(th.url, key, 0, 300);
  // Identify routes as it writes: with the queue table away, every identify job uses all its attempts
  // (and the sweep's new rounds fail too), and nothing is half done.
  const identify = th.hub.ctx.queues.queues.identify;
  await eventually(async () => ((await identify.getJobCounts('failed')).failed ?? 0) >= 3, 30_000, 100);
  await new Promise((r) => setTimeout(r, 3000));
  const [waiting] = await rows<{ n: number; linked: number }>(db, sql`select count(*)::int as n,
    (select count(*)::int from citizen_records where record_kind = 'registration') as linked from registrations where status = 'validated'`);
  t.equal(waiting?.n, 300, 'nothing identified or routed while the table is away');
  t.equal(waiting?.linked, 0, 'and no citizen link written');
  await db.execute(sql`alter table deliveries_away rename to deliveries`);
  const done = await eventually(async () => {
    const [r] = await rows<{ routed: number; deliveries: number; distinct: number }>(db, sql`
      select (select count(*)::int from registrations where status = 'routed') as routed,
             (select count(*)::int from deliveries) as deliveries, (select count(distinct registration_id)::int from deliveries) as distinct`);
    return r!.routed === 300 ? r : null;
  }, 60_000, 200);
  t.equal(done.deliveries, 300, 'one delivery per registration');
  t.equal(done.distinct, 300);
  const [redriven] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where redrives > 0`);
  t.equal(redriven!.n, 300, 'each was re-driven by the sweep under a new job id');
  const failedJobs = await identify.getJobs(['failed'], 0, -1);
  t.ok(failedJobs.every((j) => !/params|\d{16}/.test(`${j.failedReason} ${(j.stacktrace ?? []).join(' ')}`)), 'failure reasons in Redis carry no parameters');
});

t.test('the sweep leaves records alone while their job waits, re-drives them once it is gone, and never twice', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  await submit(th.url, key, 1000, 200);
  const first = await recoverySweep(th.hub.ctx, 0);
  t.equal(first.redriven, 0, 'queued records are not added again');
  t.equal(first.covered, 200);
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${th.prefix}:*`);
  await redis.del(...keys);
  await redis.quit();
  const second = await recoverySweep(th.hub.ctx, 0);
  t.equal(second.redriven, 200, 'lost jobs: their records are re-driven');
  const third = await recoverySweep(th.hub.ctx, 0);
  t.equal(third.redriven, 0, 'and not again while the new job waits');
  const counts = await th.hub.ctx.queues.queues.identify.getJobCounts('waiting');
  t.equal(counts.waiting, 1, 'one job for the 200 records');

  // A record re-driven past the cap is shown as failing, with the backlog and its age.
  await db.execute(sql`update registrations set redrives = 10 where id in (select id from registrations order by id limit 5)`);
  const admin = await th.key('admin');
  const metrics = await (await fetch(`${th.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
  t.match(metrics, /\ntiyuh_pipeline_records_failing 5\n/);
  t.match(metrics, /\ntiyuh_pipeline_backlog_records 200\n/);
  t.match(metrics, /\ntiyuh_pipeline_oldest_waiting_seconds \d+\n/);
});
