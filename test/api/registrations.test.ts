import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

const th = await startTestHub(t);
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const disdukcapilKey = await th.key('agency', { agencyCode: 'disdukcapil' });
const patenKey = await th.key('agency', { agencyCode: 'paten' });
const db = th.hub.database.db;

async function call(method: string, path: string, key: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${th.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: text ? JSON.parse(text) : null };
}
const count = async (table: string) => (await rows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;

t.test('a registration travels from the village to its agency queue', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'reg-1', service: 'KTP_EL_BARU', applicant: applicant(1) });
  t.equal(res.status, 202);
  t.match(res.body, { submissionId: Number, records: [{ externalId: 'reg-1', id: Number, status: 'accepted' }] });
  const id = res.body.records[0].id;
  const done = await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${id}`, villageKey);
    return r.body.status === 'routed' ? r.body : null;
  });
  t.same(done.route, { agency: 'disdukcapil', level: 'kabupaten' });
  const queue = await call('GET', '/v1/agencies/disdukcapil/items', disdukcapilKey);
  t.equal(queue.status, 200);
  t.ok(queue.body.items.some((i: { registrationId: number }) => i.registrationId === id), 'listed in kab:disdukcapil');
});

t.test('a kecamatan-level service goes to the queue of the applicant village\'s kecamatan', async (t) => {
  // The village of the key is Panaragan (18.12.01); the applicant lives in Mulya Jaya of kecamatan 18.12.05.
  const res = await call('POST', '/v1/registrations', villageKey, {
    externalId: 'reg-kec', service: 'LEGALISASI_DOKUMEN', applicant: applicant(2, { villageCode: '18.12.05.2006' }),
  });
  t.equal(res.status, 202);
  const id = res.body.records[0].id;
  const done = await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${id}`, villageKey);
    return r.body.status === 'routed' ? r.body : null;
  });
  t.same(done.route, { agency: 'paten', level: 'kecamatan', kecamatanCode: '181205' });
  const there = await call('GET', '/v1/agencies/paten/items?kecamatan=18.12.05', patenKey);
  t.ok(there.body.items.some((i: { registrationId: number }) => i.registrationId === id));
  const elsewhere = await call('GET', '/v1/agencies/paten/items?kecamatan=181201', patenKey);
  t.notOk(elsewhere.body.items.some((i: { registrationId: number }) => i.registrationId === id), 'not in another kecamatan\'s queue');
});

t.test('a batch accepts the valid records and answers each invalid one with its errors', async (t) => {
  const before = await count('registrations');
  const res = await call('POST', '/v1/registrations', villageKey, {
    registrations: [
      { externalId: 'b-1', service: 'KTP_EL_BARU', applicant: applicant(10) },
      { externalId: 'b-2', service: 'NO_SUCH_SERVICE', applicant: applicant(11) },
      { externalId: 'b-3', service: 'KTP_EL_BARU', applicant: applicant(12, { nik: '1812019913900001' }) },
      { externalId: 'b-4', service: 'KTP_EL_BARU', applicant: { ...applicant(13), villageCode: '18.12.01.9999' } },
      { externalId: 'b-5', service: 'KTP_EL_BARU', applicant: { ...applicant(14), colour: 'red' } },
      { externalId: 'b-1', service: 'KTP_EL_BARU', applicant: applicant(15) },
      { externalId: 'b-6', service: 'KTP_EL_BARU', applicant: applicant(16, { birthDate: '1990-02-30' }) },
    ],
  });
  t.equal(res.status, 202);
  const [ok, svc, nik, village, unknown, dup, date] = res.body.records;
  t.match(ok, { externalId: 'b-1', status: 'accepted', id: Number });
  t.match(svc, { status: 'rejected', id: null, errors: [{ code: 'SERVICE_UNKNOWN', field: 'service', message: { id: String, en: String } }] });
  t.match(nik.errors, [{ code: 'NIK_INVALID_DATE', field: 'applicant.nik' }]);
  t.match(village.errors, [{ code: 'VILLAGE_CODE_UNKNOWN', field: 'applicant.villageCode' }]);
  t.match(unknown.errors, [{ code: 'FIELD_UNKNOWN', field: 'applicant.colour' }]);
  t.match(dup.errors, [{ code: 'EXTERNAL_ID_DUPLICATE', field: 'externalId' }]);
  t.match(date.errors, [{ code: 'DATE_INVALID', field: 'applicant.birthDate' }]);
  t.equal(await count('registrations'), before + 1, 'only the valid record became a registration');
  const q = await rows<{ external_id: string; errors: { code: string }[] }>(db, sql`select external_id, errors from quarantine where inbox_id = ${res.body.submissionId} order by id`);
  t.equal(q.length, 6, 'rejected records are kept in quarantine with their errors');
  t.equal(q[0]!.errors[0]!.code, 'SERVICE_UNKNOWN');
});

t.test('a field sent as null is one not given: accepted where it may be left out, reported missing where it is required', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, {
    registrations: [
      { externalId: 'n-1', service: 'KTP_EL_BARU', submittedAt: null, details: null,
        applicant: { ...applicant(30), motherName: null, birthPlace: null, sex: null, phone: null, dusun: null, rt: null, rw: null, address: null } },
      // The same as an empty string, which was already taken as not given.
      { externalId: 'n-2', service: 'KTP_EL_BARU', applicant: applicant(31, { motherName: '', birthPlace: '' }) },
      // Required by the service (KTP-el needs a birth date) or by every registration (a name).
      { externalId: 'n-3', service: 'KTP_EL_BARU', applicant: { ...applicant(32), birthDate: null } },
      { externalId: 'n-4', service: 'KTP_EL_BARU', applicant: { ...applicant(33), fullName: null } },
      { externalId: null, service: 'KTP_EL_BARU', applicant: applicant(34) },
      // A null is not a value of another type: a number is still refused.
      { externalId: 'n-6', service: 'KTP_EL_BARU', applicant: { ...applicant(35), motherName: 7 } },
    ],
  });
  t.equal(res.status, 202);
  const [given, empty, noBirth, noName, noId, wrongType] = res.body.records;
  t.match(given, { externalId: 'n-1', status: 'accepted', id: Number });
  t.match(empty, { externalId: 'n-2', status: 'accepted', id: Number });
  t.match(noBirth, { status: 'rejected', errors: [{ code: 'FIELD_REQUIRED', field: 'applicant.birthDate', message: { id: /KTP_EL_BARU/ } }] });
  t.equal(noBirth.errors.length, 1);
  t.match(noName, { status: 'rejected', errors: [{ code: 'FIELD_REQUIRED', field: 'applicant.fullName' }] });
  t.match(noId, { status: 'rejected', errors: [{ code: 'FIELD_REQUIRED', field: 'externalId' }] });
  t.match(wrongType, { status: 'rejected', errors: [{ code: 'FIELD_TYPE', field: 'applicant.motherName' }] });
  const [stored] = await rows<{ applicant: Record<string, unknown>; details: unknown; submitted_at: unknown }>(db, sql`
    select applicant, details, submitted_at from registrations where id = ${given.id}`);
  t.equal(stored!.applicant.motherName, null, 'stored as not given');
  t.equal(stored!.applicant.sex, null);
  t.equal(stored!.applicant.fullName, applicant(30).fullName);
  t.equal(stored!.details, null);
  t.equal(stored!.submitted_at, null);
});

t.test('a NIK that disagrees with birth date or sex is a warning, not a rejection', async (t) => {
  const a = applicant(20);
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'w-1', service: 'KTP_EL_BARU', applicant: { ...a, sex: a.sex === 'F' ? 'M' : 'F' } });
  t.equal(res.status, 202);
  t.match(res.body.records[0], { status: 'accepted', warnings: [{ code: 'NIK_SEX_MISMATCH' }] });
});

t.test('sending the same externalId again is counted once', async (t) => {
  const first = await call('POST', '/v1/registrations', villageKey, { externalId: 'once', service: 'KTP_EL_BARU', applicant: applicant(30) });
  const again = await call('POST', '/v1/registrations', villageKey, { externalId: 'once', service: 'KTP_EL_BARU', applicant: applicant(30) });
  t.equal(again.status, 202);
  t.equal(again.body.records[0].id, first.body.records[0].id, 'the same registration');
  t.equal(again.body.records[0].duplicate, true);
  const n = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id = 'once'`);
  t.equal(n[0]!.n, 1);
  // Another village may use the same externalId for its own registration.
  const other = await call('POST', '/v1/registrations', otherVillageKey, { externalId: 'once', service: 'KTP_EL_BARU', applicant: applicant(31) });
  t.not(other.body.records[0].id, first.body.records[0].id);
});

t.test('an Idempotency-Key replays the first answer', async (t) => {
  const body = { registrations: [{ externalId: 'idem-1', service: 'KTP_EL_BARU', applicant: applicant(40) }] };
  const first = await call('POST', '/v1/registrations', villageKey, body, { 'idempotency-key': 'batch-2026-11-27-01' });
  const again = await call('POST', '/v1/registrations', villageKey, body, { 'idempotency-key': 'batch-2026-11-27-01' });
  t.same(again.body, first.body);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  const inbox = await rows<{ n: number }>(db, sql`select count(*)::int as n from inbox where idempotency_key = 'batch-2026-11-27-01'`);
  t.equal(inbox[0]!.n, 1, 'stored once');
  const reused = await call('POST', '/v1/registrations', villageKey, { registrations: [{ ...body.registrations[0]!, externalId: 'idem-2' }] }, { 'idempotency-key': 'batch-2026-11-27-01' });
  t.match(reused, { status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } }, 'the same key with another body is refused');
  // Without a key nothing ever compares the body: no hash of it is made or kept, batch or single.
  t.equal((await call('POST', '/v1/registrations', villageKey, { registrations: [{ ...body.registrations[0]!, externalId: 'idem-3' }] })).status, 202);
  t.equal((await call('POST', '/v1/registrations', villageKey, { ...body.registrations[0]!, externalId: 'idem-4' })).status, 202);
  const hashes = await rows<{ keyed: boolean; hash: string | null }>(db, sql`
    select idempotency_key is not null as keyed, request_hash as hash from inbox
    where payload::text like '%"idem-1"%' or payload::text like '%"idem-3"%' or payload::text like '%"idem-4"%' order by id`);
  t.same(hashes.map((h) => [h.keyed, h.hash === null]), [[true, false], [false, true], [false, true]]);
});

t.test('bad requests get their own clear error and store nothing', async (t) => {
  const inboxBefore = await count('inbox');
  const regsBefore = await count('registrations');
  const valid = { externalId: 'bad-x', service: 'KTP_EL_BARU', applicant: applicant(50) };

  const noKey = await call('POST', '/v1/registrations', null, valid);
  t.match(noKey, { status: 401, body: { code: 'AUTH_MISSING', message: { id: String, en: String } } });
  t.match(noKey.type, /application\/problem\+json/);
  t.match(await call('POST', '/v1/registrations', 'thv_wrong', valid), { status: 401, body: { code: 'AUTH_INVALID' } });
  t.match(await call('POST', '/v1/registrations', disdukcapilKey, valid), { status: 403, body: { code: 'AUTH_FORBIDDEN' } });
  t.match(await call('POST', '/v1/registrations', villageKey, '{"externalId": "x",'), { status: 400, body: { code: 'BODY_INVALID_JSON' } });
  t.match(await call('POST', '/v1/registrations', villageKey, { ...valid, service: 'NOPE' }), { status: 422, body: { code: 'SERVICE_UNKNOWN', field: 'service' } });
  t.match(await call('POST', '/v1/registrations', villageKey, { ...valid, applicant: { ...valid.applicant, villageCode: '12345' } }),
    { status: 422, body: { code: 'VILLAGE_CODE_INVALID', field: 'applicant.villageCode' } });
  t.match(await call('POST', '/v1/registrations', villageKey, { ...valid, priority: 'high' }), { status: 422, body: { code: 'FIELD_UNKNOWN', field: 'priority' } });
  t.match(await call('POST', '/v1/registrations', villageKey, { ...valid, applicant: { ...valid.applicant, nik: 1812015708900003 } }),
    { status: 422, body: { code: 'FIELD_TYPE', field: 'applicant.nik' } });
  t.match(await call('POST', '/v1/registrations', villageKey, { registrations: [], extra: 1 }), { status: 400, body: { code: 'FIELD_UNKNOWN' } });
  const tooMany = { registrations: Array.from({ length: 1001 }, (_, i) => ({ ...valid, externalId: `m-${i}` })) };
  t.match(await call('POST', '/v1/registrations', villageKey, tooMany), { status: 413, body: { code: 'BATCH_TOO_LARGE' } });
  const huge = { ...valid, details: { note: 'x'.repeat(5 * 1024 * 1024) } };
  t.match(await call('POST', '/v1/registrations', villageKey, huge), { status: 413, body: { code: 'BODY_TOO_LARGE' } });
  t.equal(await count('inbox'), inboxBefore, 'no submission stored');
  t.equal(await count('registrations'), regsBefore, 'no registration stored');
});

t.test('a village sees only its own registrations', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'mine', service: 'KTP_EL_BARU', applicant: applicant(60) });
  const id = res.body.records[0].id;
  t.equal((await call('GET', `/v1/registrations/${id}`, villageKey)).status, 200);
  t.match(await call('GET', `/v1/registrations/${id}`, otherVillageKey), { status: 404, body: { code: 'NOT_FOUND' } });
  t.match(await call('GET', '/v1/registrations/abc', villageKey), { status: 400 });
});

t.test('agency operators claim and acknowledge items of their own queue only', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'claim-me', service: 'KTP_EL_BARU', applicant: applicant(70) });
  const id = res.body.records[0].id;
  await eventually(async () => (await call('GET', `/v1/registrations/${id}`, villageKey)).body.status === 'routed');
  t.match(await call('GET', '/v1/agencies/disdukcapil/items', patenKey), { status: 403, body: { code: 'AUTH_FORBIDDEN' } });
  t.match(await call('GET', '/v1/agencies/nobody/items', disdukcapilKey), { status: 404 });

  const claimed = await call('POST', '/v1/agencies/disdukcapil/items/claim', disdukcapilKey, { max: 500 });
  t.equal(claimed.status, 200);
  const item = claimed.body.items.find((i: { registrationId: number }) => i.registrationId === id);
  t.ok(item, 'the new item is leased');
  t.equal(item.applicant.fullName, applicant(70).fullName, 'the operator receives the applicant');
  const again = await call('POST', '/v1/agencies/disdukcapil/items/claim', disdukcapilKey, { max: 500 });
  t.notOk(again.body.items.some((i: { id: number }) => i.id === item.id), 'a leased item is not handed out twice');

  t.match(await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, disdukcapilKey), { status: 200, body: { status: 'acked' } });
  t.match(await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, disdukcapilKey), { status: 200, body: { status: 'acked' } }, 'ack is idempotent');
  const audit = await rows<{ action: string }>(db, sql`select action from audit_log where action like 'agency.%'`);
  t.ok(audit.some((a) => a.action === 'agency.claim'), 'reading applicants is audited');
});

t.test('catalogue, health and readiness', async (t) => {
  const services = await call('GET', '/v1/services', null);
  t.ok(services.body.length >= 40);
  t.match(services.body[0], { code: String, name: String, agency: String, level: /^(kabupaten|kecamatan)$/, holdUntilIdentityResolved: Boolean });
  t.ok((await call('GET', '/v1/agencies', null)).body.length >= 15);
  t.same((await call('GET', '/health', null)).body, { status: 'ok' });
  t.match(await call('GET', '/ready', null), { status: 200, body: { postgres: 'ok', redis: 'ok' } });
  t.match(await call('GET', '/v2/nothing', null), { status: 404, body: { code: 'ROUTE_NOT_FOUND' } });
});

t.test('no NIK, KK, name or birth date reaches the logs', async (t) => {
  const people = Array.from({ length: 20 }, (_, i) => applicant(900 + i));
  await call('POST', '/v1/registrations', villageKey, { registrations: people.map((a, i) => ({ externalId: `pii-${i}`, service: 'KTP_EL_BARU', applicant: a })) });
  await call('POST', '/v1/registrations', villageKey, { registrations: [{ externalId: 'pii-bad', service: 'NOPE', applicant: people[0] }] });
  await call('POST', '/v1/registrations', villageKey, { externalId: 'pii-bad2', service: 'NOPE', applicant: people[1] });
  await eventually(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id like 'pii-%' and status = 'routed'`))[0]!.n === 20);
  const logs = th.logs.text;
  t.ok(logs.length > 0, 'the hub did log');
  for (const p of people) {
    for (const value of [p.nik, p.kk, p.fullName, p.birthDate, p.motherName]) {
      if (logs.includes(value)) t.fail(`log contains personal data: ${value.slice(0, 4)}…`);
    }
  }
  t.notOk(logs.includes(villageKey), 'keys are not logged either');
});

t.test('the inbox keeps each body as received, as text that came with \\u escapes or a __proto__ key made storable', async (t) => {
  const send = async (text: string) => {
    const res = await fetch(`${th.url}/v1/registrations`, { method: 'POST', headers: { authorization: `Bearer ${villageKey}`, 'content-type': 'application/json' }, body: text });
    t.equal(res.status, 202, await res.clone().text());
    const { submissionId } = await res.json() as { submissionId: number };
    return (await rows<{ payload: unknown }>(db, sql`select payload from inbox where id = ${submissionId}`))[0]!.payload;
  };
  const a = applicant(41);
  // Pretty-printed, a number past double precision kept as sent (the text itself is stored).
  const batch = `{\n  "registrations": [ { "externalId": "raw-1", "service": "KTP_EL_BARU", "details": { "n": 12345678901234567890 },\n "applicant": ${JSON.stringify(a)} } ]\n}`;
  t.same(await send(batch), { registrations: [{ externalId: 'raw-1', service: 'KTP_EL_BARU', details: { n: 12345678901234567890 }, applicant: a }] });
  const [big] = await rows<{ n: string; text: string }>(db, sql`select payload #>> '{registrations,0,details,n}' as n, payload::text as text from inbox order by id desc limit 1`);
  t.equal(big!.n, '12345678901234567890', 'digits as sent');
  t.equal(big!.text, batch, 'the very text sent: its spacing and key order too');
  // A NUL and a lone surrogate in escapes, and a __proto__ key: stored as the cleaned value.
  const single = `{"externalId": "raw-2\\u0000", "service": "KTP_EL_BARU", "__proto__": {"a": 1}, "applicant": ${JSON.stringify({ ...applicant(42), address: 'Jl. X' }).replace('Jl. X', 'Jl. X\\ud800')}}`;
  const stored = await send(single) as { externalId: string; applicant: { address: string } };
  t.equal(stored.externalId, 'raw-2');
  t.equal(stored.applicant.address, 'Jl. X\ufffd');
  t.notOk(Object.prototype.hasOwnProperty.call(stored, '__proto__'));
});
