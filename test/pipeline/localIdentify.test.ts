import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { recoverySweep } from '../../src/pipeline/recovery.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { allDone, holdIdentifyLock } from '../helpers/pipeline.js';

// Single pushes stored by a process that runs the pipeline go straight to its identify batcher
// (localIdentify), with no BullMQ job; Postgres stays the truth for what fails or is lost.

const push = async (url: string, key: string, externalId: string, n: number) => {
  const res = await fetch(`${url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ externalId, service: 'KTP_EL_BARU', applicant: applicant(n) }),
  });
  if (res.status !== 202) throw new Error(`push failed: ${res.status}`);
  return ((await res.json()) as { records: { id: number }[] }).records[0]!.id;
};

const ALL_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

t.test('single pushes to a hub running its pipeline: identified and routed once each, without an identify job', async (t) => {
  const th = await startTestHub(t);
  const key = await th.key('village', { villageCode: PANARAGAN });
  for (let i = 0; i < 150; i += 30) {
    await Promise.all(Array.from({ length: 30 }, (_, k) => push(th.url, key, `li-${i + k}`, 7000 + i + k)));
  }
  const db = th.hub.database.db;
  const end = await allDone(db, 150);
  t.equal(end.links, 150, 'every record linked once');
  t.equal(end.citizens, end.niks, 'one citizen per NIK');
  t.equal(end.deliveries, end.distinct, 'no delivery doubled');
  const counts = await th.hub.ctx.queues.queues.identify.getJobCounts(...ALL_STATES);
  t.same(Object.values(counts).reduce((a, b) => a + b, 0), 0, `no identify job in Redis (${JSON.stringify(counts)})`);
  const stats = th.hub.workers!.identifyBatches;
  t.ok(stats.jobs >= 1 && stats.batches <= stats.jobs, `${stats.jobs} groups in ${stats.batches} batches`);
});

t.test('a single push whose identify fails in the process becomes a job, and is routed once the cause is gone', async (t) => {
  const th = await startTestHub(t, {}, { STAGE_ATTEMPTS: '3', STAGE_BACKOFF_MS: '50', SWEEP_EVERY_SECONDS: '1' });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  // A real failure inside identify's transaction, for one record only.
  await db.execute(sql.raw(`create function refuse_poison() returns trigger language plpgsql as $$
    begin if exists (select 1 from registrations r where r.id = new.record_id and r.external_id = 'lf-poison') then raise exception 'refused'; end if;
    return new; end $$;
    create trigger refuse_poison before insert on citizen_records for each row execute function refuse_poison()`));
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => push(th.url, key, i === 7 ? 'lf-poison' : `lf-${i}`, 8000 + i * 7)));
  const bad = ids[7]!;
  await eventually(async () => {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where status in ('routed', 'held')`);
    return r!.n === 19;
  }, 60_000, 100);
  const identify = th.hub.ctx.queues.queues.identify;
  const jobs = await eventually(async () => {
    const found = (await identify.getJobs([...ALL_STATES], 0, -1)).filter((j) => j?.data.ids.includes(bad));
    return found.length ? found : null;
  }, 30_000, 100);
  t.ok(jobs.length >= 1, 'the failing record went to the queue as a job');
  // The failure is logged in its PII-safe form: no NIK or name of the group's applicants.
  const logs = th.logs.text;
  t.match(logs, /identify failed in this process/);
  const people = Array.from({ length: 20 }, (_, i) => applicant(8000 + i * 7));
  t.notOk(people.some((p) => logs.includes(p.nik) || logs.includes(p.fullName)), 'no NIK or name in the logs');
  const [stuck] = await rows<{ status: string; links: number }>(db, sql`
    select status, (select count(*)::int from citizen_records where record_id = ${bad}) as links from registrations where id = ${bad}`);
  t.equal(stuck!.status, 'validated', 'it waits, nothing half done');
  t.equal(stuck!.links, 0);
  await db.execute(sql`drop trigger refuse_poison on citizen_records`);
  await eventually(async () => {
    const [r] = await rows<{ status: string }>(db, sql`select status from registrations where id = ${bad}`);
    return ['routed', 'held'].includes(r!.status);
  }, 60_000, 100);
  const [end] = await rows<{ links: number; deliveries: number; distinct: number }>(db, sql`
    select (select count(*)::int from citizen_records) as links, (select count(*)::int from deliveries) as deliveries,
      (select count(distinct registration_id)::int from deliveries) as distinct`);
  t.equal(end!.links, 20, 'once the cause is gone it is linked, once');
  t.equal(end!.deliveries, end!.distinct, 'no delivery doubled');
});

t.test('the recovery sweep leaves alone the records a process holds without a job', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  const ids = [await push(th.url, key, 'sw-held', 9100), await push(th.url, key, 'sw-lost', 9101)];
  // Their jobs are gone (as if Redis had been flushed): both are the sweep's, unless held.
  await th.hub.ctx.queues.queues.identify.obliterate({ force: true });
  const r = await recoverySweep(th.hub.ctx, 0, undefined, (kind) => (kind === 'registration' ? [ids[0]!] : []));
  t.equal(r.redriven, 1, 'one record re-driven');
  const redrives = await rows<{ id: number; redrives: number }>(db, sql`
    select id, redrives from registrations where id = any(${arrayParam(ids, 'int')}) order by id`);
  t.same(redrives.map((x) => x.redrives), [0, 1], 'the held record untouched, the lost one re-driven');
});

t.test('a serving process killed with single pushes it held for identify: nothing lost, nothing doubled', async (t) => {
  const th = await startTestHub(t, { api: false, workers: false });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
  // The identify lock held from outside: the serving process stores and answers the pushes, and holds
  // them for identify, which cannot start.
  const release = await holdIdentifyLock(th.db.url);
  const serve = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/tiyuh-hub.js'), 'serve'], {
    env: { ...process.env, DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix, PORT: String(port), LOG_LEVEL: 'warn', TIYUH_SUPERVISOR: 'off' },
    stdio: 'ignore',
  });
  t.teardown(() => { serve.kill('SIGKILL'); });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/health`).catch(() => null))?.ok ?? false, 60_000, 100);
  for (let i = 0; i < 60; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, k) => push(url, key, `kill-${i + k}`, 9500 + i + k)));
  }
  serve.kill('SIGKILL');
  await new Promise((r) => serve.once('exit', r));
  await release();
  const [mid] = await rows<{ waiting: number }>(db, sql`select count(*)::int as waiting from registrations where status = 'validated'`);
  t.equal(mid!.waiting, 60, 'all 60 stored and answered, none identified before the kill');
  // A process that runs the pipeline again: its recovery sweep finds them in Postgres.
  await th.hub.close();
  const hub = await th.restart({ api: false, workers: true });
  const end = await eventually(async () => {
    const [r] = await rows<{ done: number; deliveries: number; distinct: number; links: number }>(hub.database.db, sql`
      select (select count(*)::int from registrations where status in ('routed', 'held')) as done,
             (select count(*)::int from deliveries) as deliveries, (select count(distinct registration_id)::int from deliveries) as distinct,
             (select count(*)::int from citizen_records) as links`);
    return r!.done === 60 ? r : null;
  }, 90_000, 200);
  t.equal(end.links, 60, 'every record linked once');
  t.equal(end.deliveries, end.distinct, 'no delivery doubled');
});
