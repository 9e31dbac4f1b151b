import t from 'tap';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN, type TestApplicant } from '../helpers/fixtures.js';
import { pendudukRow, pendudukZip } from '../connectors/opendk/fixtures/opensidFiles.js';

/** Every value stored under the hub's Redis prefix (job data, failure reasons and stack traces). */
async function redisText(prefix: string): Promise<string> {
  const r = new Redis(TEST_REDIS_URL);
  const out: string[] = [];
  for (const key of await r.keys(`${prefix}:*`)) {
    const type = await r.type(key);
    if (type === 'hash') out.push(JSON.stringify(await r.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await r.lrange(key, 0, -1)));
    else if (type === 'zset') out.push(JSON.stringify(await r.zrange(key, 0, -1)));
    else if (type === 'string') out.push(String(await r.get(key)));
  }
  await r.quit();
  return out.join('\n');
}

function leaks(text: string, people: { nik: string; kk: string; fullName: string; motherName?: string }[]): string[] {
  const found: string[] = [];
  for (const p of people) for (const v of [p.nik, p.kk, p.fullName, p.motherName]) if (v && text.includes(v)) found.push(v.slice(0, 4));
  return found;
}

// Every stage and every intake channel made to fail on a table that is away: the failure is logged and
// kept in Redis as the job's reason, with its codes and the query's shape, and none of the values sent.
t.test('failures of every stage and intake channel leave no NIK, KK or name in the logs or in Redis', async (t) => {
  const th = await startTestHub(t, {}, { STAGE_ATTEMPTS: '2', STAGE_BACKOFF_MS: '50', SWEEP_EVERY_SECONDS: '3600' });
  const db = th.hub.database.db;
  const key = await th.key('village', { villageCode: PANARAGAN });
  const opendk = await th.key('opendk', { kecamatanCode: '181201' });
  const people: { nik: string; kk: string; fullName: string; motherName?: string }[] = [];
  const regs = (from: number, n: number) => Array.from({ length: n }, (_, i) => {
    const a: TestApplicant = applicant(from + i);
    people.push(a);
    return { externalId: `pii-${from + i}`, service: 'KTP_EL_BARU', applicant: a };
  });
  const post = (path: string, body: unknown) => fetch(`${th.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const failedJobs = async (stage: 'identify' | 'route') => (await th.hub.ctx.queues.queues[stage].getJobCounts('failed')).failed ?? 0;

  // identify: new citizens are written with their NIKs and names as parameters.
  await db.execute(sql`alter table citizens rename to citizens_away`);
  t.equal((await post('/v1/registrations', { registrations: regs(0, 20) })).status, 202);
  await eventually(async () => (await failedJobs('identify')) >= 1, 30_000, 100);
  await db.execute(sql`alter table citizens_away rename to citizens`);

  // route: identify routes as it writes, so the route stage takes registrations replayed to it (or
  // released by a review): 20 routed ones are sent back to it with the queue table away.
  t.equal((await post('/v1/registrations', { registrations: regs(100, 20) })).status, 202);
  const routed = await eventually(async () => {
    const r = await rows<{ id: number }>(db, sql`select id from registrations where external_id like 'pii-1__' and status = 'routed' order by id`);
    return r.length === 20 ? r.map((x) => x.id) : null;
  }, 30_000, 100);
  await db.execute(sql`alter table deliveries rename to deliveries_away`);
  await db.execute(sql`update registrations set status = 'identified' where id = any(${arrayParam(routed, 'int')})`);
  await th.hub.ctx.queues.enqueue('route', routed, 'pii-replay');
  await eventually(async () => (await failedJobs('route')) >= 1, 30_000, 100);
  await db.execute(sql`alter table deliveries_away rename to deliveries`);

  // Intake: push of registrations and of residents, a file import, an OpenSID upload, with the inbox away.
  await db.execute(sql`alter table inbox rename to inbox_away`);
  t.equal((await post('/v1/registrations', { registrations: regs(200, 20) })).status, 500, 'push registrations failed (500, logged)');
  const residents = Array.from({ length: 20 }, (_, i) => {
    const a = applicant(300 + i);
    people.push(a);
    return { localId: `r${i}`, nik: a.nik, kk: a.kk, fullName: a.fullName, sex: '1', birthDate: a.birthDate, motherName: a.motherName };
  });
  t.equal((await post('/v1/residents', { residents })).status, 500, 'push residents failed');
  const csv = ['nama;nik;no_kk;jenis_kelamin;tanggallahir;nama_ibu', ...Array.from({ length: 20 }, (_, i) => {
    const a = applicant(400 + i);
    people.push(a);
    return [a.fullName, a.nik, a.kk, 'LAKI-LAKI', a.birthDate.split('-').reverse().join('-'), a.motherName].join(';');
  })].join('\r\n');
  const form = new FormData();
  form.append('file', new Blob([csv]), 'penduduk.csv');
  const imported = await fetch(`${th.url}/v1/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  t.ok(imported.status >= 400, `file import failed (${imported.status})`);
  const rowsOpenSid = Array.from({ length: 20 }, (_, i) => pendudukRow(500 + i, '18.12.01.2002'));
  for (const r of rowsOpenSid) people.push({ nik: String(r.nomor_nik), kk: String(r.nomor_kk ?? ''), fullName: String(r.nama) });
  const zipForm = new FormData();
  zipForm.append('file', new Blob([pendudukZip(rowsOpenSid)], { type: 'application/zip' }), 'penduduk_1812012002.zip');
  const up = await fetch(`${th.url}/api/v1/penduduk/storedata`, { method: 'POST', headers: { authorization: `Bearer ${opendk}` }, body: zipForm });
  t.ok(up.status >= 400 || (await up.clone().json() as { status?: string }).status !== 'success', `OpenSID upload failed (${up.status})`);
  await db.execute(sql`alter table inbox_away rename to inbox`);

  const logs = th.logs.text;
  t.match(logs, /"code":"42P01"/, 'the failures are logged with their SQLSTATE');
  t.match(logs, /"query":"insert into/, 'and the shape of the query');
  t.same(leaks(logs, people), [], 'no personal data in the logs');
  const redis = await redisText(th.prefix);
  t.match(redis, /42P01/, 'failure reasons are kept in Redis');
  t.same(leaks(redis, people), [], 'no personal data in Redis');
  const [stuck] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where status not in ('routed', 'held')`);
  t.equal(stuck?.n, 40, 'the failed records wait for the sweep (which this test keeps quiet)');
});
