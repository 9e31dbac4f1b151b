import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/tiyuh-hub.js');

/** The pipeline's progress as Postgres sees it. */
async function progress(db: Parameters<typeof rows>[0]) {
  const [r] = await rows<{ total: number; routed: number; deliveries: number; distinct_deliveries: number; citizens: number }>(db, sql`
    select (select count(*)::int from registrations) as total,
           (select count(*)::int from registrations where status = 'routed') as routed,
           (select count(*)::int from deliveries) as deliveries,
           (select count(distinct registration_id)::int from deliveries) as distinct_deliveries,
           (select count(*)::int from citizens) as citizens`);
  return r!;
}

/** A made-up word per applicant, syllables far apart (names are compared without digits; a letter off is a typo). */
const SYLLABLES = ['bor', 'kim', 'tas', 'wen', 'dul', 'rap', 'sig', 'mon', 'fek', 'hul', 'jat', 'lov', 'nem', 'pux', 'qir', 'vaz',
  'yob', 'zet', 'gra', 'cil', 'dro', 'fum', 'kes', 'lat', 'mir', 'not'];
const letters = (i: number) => [...i.toString(26)].map((c) => SYLLABLES[parseInt(c, 26)]).join('');

/**
 * 6,000 different people. The shared fixture repeats name (digits aside), birth date and mother every
 * 420 applicants (address every 200) with NIKs one serial digit apart: exactly a clerk's NIK typo, which the engine links.
 */
function person(i: number) {
  const a = applicant(i);
  return { ...a, fullName: `${letters(i)} ${a.fullName.replace(/ \d+$/, '')}`, motherName: `Ibu ${letters(i)}` };
}

async function submit(url: string, key: string, from: number, count: number) {
  for (let i = from; i < from + count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, from + count - i) }, (_, k) => ({
      externalId: `rec-${i + k}`, service: 'KTP_EL_BARU', applicant: person(i + k),
    }));
    const res = await fetch(`${url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ registrations: batch }),
    });
    if (res.status !== 202) throw new Error(`submit failed: ${res.status}`);
  }
}

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn', TIYUH_SUPERVISOR: 'off' }, stdio: 'ignore' });
}

t.test('a worker killed with jobs in flight loses nothing and doubles nothing', async (t) => {
  // The API runs here; the workers run in a child process that is killed with SIGKILL mid-stream.
  const th = await startTestHub(t, { workers: false });
  const key = await th.key('village', { villageCode: PANARAGAN });
  const env = { DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix };
  await submit(th.url, key, 0, 6000);

  const first = startWorkerProcess(env);
  await eventually(async () => (await progress(th.hub.database.db)).routed > 0, 30_000, 20);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const mid = await progress(th.hub.database.db);
  t.ok(mid.routed < 6000, `killed part way (${mid.routed} of 6000 routed)`);

  const second = startWorkerProcess(env);
  t.teardown(() => { second.kill('SIGTERM'); });
  const end = await eventually(async () => {
    const p = await progress(th.hub.database.db);
    return p.routed === 6000 ? p : null;
  }, 90_000, 100);
  t.equal(end!.deliveries, 6000, 'one delivery per registration');
  t.equal(end!.distinct_deliveries, 6000);
  const [niks] = await rows<{ n: number }>(th.hub.database.db, sql`select count(distinct applicant->>'nik')::int as n from registrations`);
  t.equal(end!.citizens, niks!.n, 'each NIK is one citizen');
});

t.test('flushing Redis and restarting loses nothing', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const key = await th.key('village', { villageCode: PANARAGAN });
  await submit(th.url, key, 10_000, 2500);
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${th.prefix}:*`);
  t.ok(keys.length > 0, 'jobs were waiting in Redis');
  await redis.del(...keys);
  await redis.quit();

  await th.hub.close();
  await th.restart({ workers: true });
  const end = await eventually(async () => {
    const p = await progress(th.hub.database.db);
    return p.routed === 2500 ? p : null;
  }, 60_000, 100);
  t.equal(end!.deliveries, 2500, 'every accepted record reached its agency queue');
});

t.test('a hub closing while a recovery sweep runs waits for it: the sweep ends and nothing fails', async (t) => {
  const th = await startTestHub(t, {}, { SWEEP_EVERY_SECONDS: '1' });
  // The next sweep's claim waits on this lock, as a sweep over a big backlog takes a while.
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => { locked = r; });
  const holding = th.db.database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table registrations in exclusive mode`);
    locked();
    await released;
  });
  await isLocked;
  await eventually(async () => {
    const [w] = await rows<{ n: number }>(th.db.database.db, sql`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%redrives%'`);
    return w!.n > 0;
  });
  const closing = th.hub.close();
  await new Promise((r) => setTimeout(r, 300));
  release();
  await holding;
  await closing;
  await new Promise((r) => setTimeout(r, 300)); // a sweep cut off by the close has logged its failure by now
  t.notMatch(th.logs.text, /recovery sweep failed/, 'no sweep cut off by the closed pool or Redis');
});
