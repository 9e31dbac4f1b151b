import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

const th = await startTestHub(t, {}, { RATE_LIMIT_PER_MINUTE: '40' });
const db = th.hub.database.db;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const kecamatanKey = await th.key('kecamatan', { kecamatanCode: '181201' });
const otherKecamatanKey = await th.key('kecamatan', { kecamatanCode: '181205' });

async function call(method: string, path: string, key: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${th.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const count = async (q: string) => (await rows<{ n: number }>(db, sql.raw(q)))[0]!.n;

function resident(i: number, extra: Record<string, unknown> = {}) {
  const a = applicant(i);
  return {
    localId: 500 + i, nik: a.nik, kk: a.kk, fullName: a.fullName, sex: a.sex === 'M' ? 1 : 2, birthDate: a.birthDate,
    birthPlace: a.birthPlace, motherName: a.motherName, religion: 1, familyRole: 4, statusDasar: 1, rt: a.rt, rw: a.rw, dusun: a.dusun, ...extra,
  };
}

t.test('a batch is answered per record: valid ones accepted, invalid ones rejected with errors and quarantined', async (t) => {
  const res = await call('POST', '/v1/residents', villageKey, {
    residents: [resident(1), resident(2, { nik: '1812019913900001' }), resident(3, { birthDate: '1990-02-30' }), resident(4, { sex: 'X' })],
  });
  t.equal(res.status, 202);
  t.match(res.body, { submissionId: Number, created: 1, quarantined: 3 });
  const [ok, nik, date, sex] = res.body.records;
  t.match(ok, { index: 0, localId: '501', villageCode: PANARAGAN, status: 'accepted', outcome: 'created', id: Number });
  t.match(nik, { status: 'rejected', quarantineId: Number, errors: [{ code: 'NIK_INVALID_DATE', field: 'nik', message: { id: String, en: String } }] });
  t.match(date.errors, [{ code: 'DATE_INVALID', field: 'birthDate' }]);
  t.match(sex.errors, [{ code: 'CODE_UNKNOWN', field: 'sex' }]);
  t.equal(await count(`select count(*)::int as n from quarantine where kind = 'resident' and village_code = '${PANARAGAN}'`), 3);
  const again = await call('POST', '/v1/residents', villageKey, { residents: [resident(1)] });
  t.match(again.body.records[0], { status: 'accepted', outcome: 'unchanged', id: ok.id }, 'a resend is unchanged');
});

t.test('an Idempotency-Key replays the first answer, stored in Postgres', async (t) => {
  const body = { residents: [resident(10), resident(11)] };
  const first = await call('POST', '/v1/residents', villageKey, body, { 'idempotency-key': 'res-2026-11-27-a' });
  const again = await call('POST', '/v1/residents', villageKey, body, { 'idempotency-key': 'res-2026-11-27-a' });
  t.equal(again.status, 202);
  t.same(again.body, first.body, 'the first answer, not a new ingest');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  // The same key with another body is a mistake of the sender, not a retry: refused, not silently answered.
  const other = await call('POST', '/v1/residents', villageKey, { residents: [resident(12)] }, { 'idempotency-key': 'res-2026-11-27-a' });
  t.equal(other.status, 422);
  t.match(other.body, { code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key', message: { id: String, en: String } });
  t.equal(await count(`select count(*)::int as n from inbox where idempotency_key = 'res-2026-11-27-a'`), 1);
  t.equal(await count(`select count(*)::int as n from resident_records where local_id = '512'`), 0);
});

t.test('a repeat while the first request with the key has not answered yet gets 409 and Retry-After', async (t) => {
  const key = await th.key('village', { villageCode: PANARAGAN });
  const [k] = await rows<{ id: number }>(db, sql`select max(id)::int as id from api_keys`);
  await db.execute(sql`insert into inbox (channel, kind, village_code, api_key_id, idempotency_key, record_count, payload, response)
    values ('push', 'resident', ${PANARAGAN}, ${k!.id}, 'in-flight-1', 1, '{}'::jsonb, '{"inboxId": 0}'::jsonb)`);
  const res = await call('POST', '/v1/residents', key, { residents: [resident(90)] }, { 'idempotency-key': 'in-flight-1' });
  t.equal(res.status, 409);
  t.equal(res.body.code, 'IDEMPOTENCY_IN_PROGRESS');
  t.equal(res.headers.get('retry-after'), '1');
});

t.test('a request is refused whole when it is malformed or too large', async (t) => {
  const before = await count('select count(*)::int as n from inbox');
  const unknownField = await call('POST', '/v1/residents', villageKey, { residents: [{ ...resident(20), fulName: 'x' }] });
  t.match(unknownField, { status: 400, body: { code: 'FIELD_UNKNOWN', field: 'residents.0.fulName' } });
  const tooMany = await call('POST', '/v1/residents', villageKey, { residents: Array.from({ length: 1001 }, (_, i) => resident(1000 + i)) });
  t.match(tooMany, { status: 413, body: { code: 'BATCH_TOO_LARGE' } });
  const outside = await call('POST', '/v1/residents', villageKey, { residents: [resident(21, { villageCode: '18.12.05.2006' })] });
  t.match(outside.body.records[0].errors, [{ code: 'VILLAGE_OUT_OF_SCOPE' }], 'another village\'s record is not written by this key');
  const agency = await call('POST', '/v1/residents', await th.key('agency', { agencyCode: 'disdukcapil' }), { residents: [resident(22)] });
  t.equal(agency.status, 403);
  t.equal(await count('select count(*)::int as n from inbox'), before + 1, 'only the well-formed request was stored');
});

t.test('GET /v1/residents lists a village\'s records with their state, scoped and audited', async (t) => {
  await call('POST', '/v1/residents', villageKey, { residents: [resident(30), resident(31, { statusDasar: 2 })] });
  const own = await call('GET', '/v1/residents?limit=2&offset=0', villageKey);
  t.equal(own.status, 200);
  t.ok(own.body.total >= 5);
  t.equal(own.body.items.length, 2);
  const dead = await call('GET', `/v1/residents?village=18.12.01.2002&state=dead`, kecamatanKey);
  t.equal(dead.status, 200);
  t.match(dead.body, { total: 1, items: [{ localId: '531', state: 'dead', statusDasar: 2, villageCode: PANARAGAN }] });
  t.equal((await call('GET', '/v1/residents?village=18.12.01.2002', otherVillageKey)).status, 403, 'another village\'s key');
  t.equal((await call('GET', '/v1/residents?village=18.12.01.2002', otherKecamatanKey)).status, 403, 'another kecamatan\'s key');
  t.equal((await call('GET', '/v1/residents', kecamatanKey)).status, 400, 'a kecamatan key names the village');
  const audit = await rows<{ actor: string; target_id: string; detail: { count: number } }>(db, sql`
    select actor, target_id, detail from audit_log where action = 'residents.read' order by id`);
  t.equal(audit.length, 2, 'each successful read is audited');
  t.match(audit[1], { actor: /^kecamatan-key:/, target_id: PANARAGAN, detail: { count: 1 } });
});

t.test('a key over its rate limit gets 429 with Retry-After', async (t) => {
  const key = await th.key('village', { villageCode: PANARAGAN });
  let last = await call('GET', '/v1/residents', key);
  for (let i = 0; i < 45 && last.status !== 429; i++) last = await call('GET', '/v1/residents?limit=1', key);
  t.equal(last.status, 429);
  t.ok(Number(last.headers.get('retry-after')) > 0);
  t.equal(last.body.code, 'RATE_LIMITED');
});

t.test('warnings and a temporary NIK are stored and reported in the listing', async (t) => {
  const key = await th.key('village', { villageCode: PANARAGAN });
  const a = applicant(80);
  const pushed = await call('POST', '/v1/residents', key, { residents: [
    resident(80, { birthDate: a.birthDate.replace(/^(\d{4})/, (y) => String(Number(y) - 1)) }),
    resident(81, { nik: '0181201200200081', fullName: '"SITI ""ICAH"" AISYAH"' }),
  ] });
  t.match(pushed.body.records[0], { status: 'accepted', warnings: [{ code: 'NIK_BIRTHDATE_MISMATCH' }] });
  const list = await call('GET', '/v1/residents?limit=1000', key);
  const byId = new Map((list.body.items as { localId: string }[]).map((i) => [i.localId, i as Record<string, unknown>]));
  t.match(byId.get('580'), { warnings: [{ code: 'NIK_BIRTHDATE_MISMATCH', field: 'nik', message: { id: String, en: String } }] });
  t.match(byId.get('581'), { nik: null, temporaryNik: '0181201200200081', fullName: 'SITI "ICAH" AISYAH', warnings: null });
});
