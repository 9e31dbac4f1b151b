import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';
import { openPossibleCase, samePersonTwice } from '../pipeline/review/fixtures/reviewCase.js';

const th = await startTestHub(t);
const db = th.hub.database.db;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const kec05 = await th.key('kecamatan', { kecamatanCode: '181205' });
const kec01 = await th.key('kecamatan', { kecamatanCode: '181201' });
const kec03 = await th.key('kecamatan', { kecamatanCode: '181203' });
const adminKey = await th.key('admin');
const dinsosKey = await th.key('agency', { agencyCode: 'dinsos' });

async function call(method: string, path: string, key: string | null, body?: unknown) {
  const res = await fetch(`${th.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}
const audit = (action: string, targetId: number) => rows<{ actor: string; region_code: string | null; detail: Record<string, unknown> }>(db, sql`
  select actor, region_code, detail from audit_log where action = ${action} and target_id = ${String(targetId)} order by id`);
const ids = (list: { id: number }[]) => list.map((i) => i.id);

// One case in kecamatan 18.12.05 (the new record's village is Mulya Jaya there), one in 18.12.01.
const c05 = await openPossibleCase(th, { villageKey, ...samePersonTwice(21) });
const c01 = await openPossibleCase(th, { villageKey, ...samePersonTwice(22, PANARAGAN) });

t.test('kecamatan staff list the cases of their own kecamatan only', async (t) => {
  const own = await call('GET', '/v1/review-cases', kec05);
  t.equal(own.status, 200);
  t.ok(ids(own.body.items).includes(c05.caseId), 'its case is listed');
  t.notOk(ids(own.body.items).includes(c01.caseId), 'the other kecamatan\'s is not');
  t.ok(own.body.items.every((i: { kecamatanCode: string }) => i.kecamatanCode === '181205'));
  t.equal(own.body.total, own.body.items.length);
  t.match(own.body.items.find((i: { id: number }) => i.id === c05.caseId), {
    kecamatanCode: '181205', status: 'open', score: Number, recordKind: 'registration', recordId: c05.registration,
    citizenId: c05.citizen, candidateCitizenId: c05.existingCitizen, createdAt: String,
  });
  t.equal((await call('GET', '/v1/review-cases?kecamatan=18.12.05', kec05)).status, 200, 'its own code, dotted');
  const other = await call('GET', '/v1/review-cases?kecamatan=181201', kec05);
  t.match(other, { status: 403, body: { code: 'AUTH_FORBIDDEN', message: { id: String, en: String } } });
  t.match(other.type, /application\/problem\+json/);
  t.match(await call('GET', '/v1/review-cases?kecamatan=189999', adminKey), { status: 400, body: { code: 'KECAMATAN_CODE_UNKNOWN', field: 'kecamatan' } });
  t.match(await call('GET', '/v1/review-cases', villageKey), { status: 403, body: { code: 'AUTH_FORBIDDEN' } }, 'a village key may not review');
  t.match(await call('GET', '/v1/review-cases', null), { status: 401, body: { code: 'AUTH_MISSING' } });

  const all = await call('GET', '/v1/review-cases', adminKey);
  t.ok(ids(all.body.items).includes(c05.caseId) && ids(all.body.items).includes(c01.caseId), 'an admin sees every kecamatan');
  const page = await call('GET', '/v1/review-cases?limit=1&offset=1', adminKey);
  t.equal(page.body.items.length, 1);
  t.equal(page.body.total, all.body.total, 'total counts beyond the page');
  t.equal(page.body.items[0].id, all.body.items[1].id);
});

t.test('the detail shows both sides with the evidence, and the read is audited', async (t) => {
  const res = await call('GET', `/v1/review-cases/${c05.caseId}`, kec05);
  t.equal(res.status, 200);
  const pair = samePersonTwice(21);
  t.match(res.body, {
    id: c05.caseId, status: 'open', kecamatanCode: '181205', score: Number,
    evidence: { fields: [{ field: 'name' }, { field: 'birthDate' }, { field: 'nik', level: 'one_digit' }] },
    record: {
      kind: 'registration', id: c05.registration, villageCode: pair.incoming.villageCode, citizenId: c05.citizen,
      person: { nik: pair.incoming.nik, fullName: pair.incoming.fullName, birthDate: pair.incoming.birthDate, address: 'Jl. Baru No. 9' },
    },
    candidate: {
      citizenId: c05.existingCitizen,
      golden: { nik: pair.existing.nik, fullName: pair.existing.fullName, birthDate: pair.existing.birthDate },
      records: [{ kind: 'registration', id: c05.existingRegistration, person: { fullName: pair.existing.fullName } }],
    },
  });
  t.notOk('phone' in res.body.record.person, 'only identifying fields are shown');
  t.notOk('decidedBy' in res.body);
  // The evidence in words for kecamatan staff, Indonesian first.
  const lines = res.body.explanation as { field: string; id: string; en: string; weight: number }[];
  t.match(lines.find((l) => l.field === 'nik'), { id: 'NIK berbeda satu angka (salah ketik?)', en: String });
  t.ok(lines.every((l) => l.id.length > 0 && l.en.length > 0));

  const reads = await audit('review.read', c05.caseId);
  t.equal(reads.length, 1);
  t.match(reads[0], { actor: String, region_code: '181205', detail: { citizens: [c05.existingCitizen, c05.citizen] } });

  t.match(await call('GET', `/v1/review-cases/${c05.caseId}`, kec01), { status: 404, body: { code: 'CASE_NOT_FOUND' } }, 'another kecamatan\'s case is not found');
  t.match(await call('GET', '/v1/review-cases/999999', adminKey), { status: 404, body: { code: 'CASE_NOT_FOUND' } });
  t.equal((await audit('review.read', c05.caseId)).length, 1, 'refused reads leave no read entry');
});

t.test('deciding "same": registrations follow the survivor, the held one reaches its agency queue', async (t) => {
  const path = `/v1/review-cases/${c05.caseId}/decision`;
  t.match(await call('POST', path, kec05, { decision: 'same' }), { status: 400, body: { code: 'REASON_REQUIRED', field: 'reason' } });
  t.match(await call('POST', path, kec05, { decision: 'same', reason: ' ok ' }), { status: 400, body: { code: 'REASON_REQUIRED' } });
  t.match(await call('POST', path, kec05, { decision: 'same', reason: 'x'.repeat(501) }), { status: 400, body: { code: 'REASON_TOO_LONG' } });
  t.match(await call('POST', path, kec05, { decision: 'maybe', reason: 'not sure' }), { status: 400, body: { code: 'FIELD_ENUM', field: 'decision' } });
  t.match(await call('POST', path, kec01, { decision: 'same', reason: 'not mine' }), { status: 404, body: { code: 'CASE_NOT_FOUND' } });
  t.equal((await call('GET', `/v1/registrations/${c05.registration}`, kec05)).body.status, 'held', 'nothing refused above changed the case');

  const reason = 'NIK differs by two swapped digits; same birth date and mother';
  const decided = await call('POST', path, kec05, { decision: 'same', reason });
  t.match(decided, { status: 200, body: { id: c05.caseId, status: 'same', changed: true, citizenId: c05.existingCitizen, released: [c05.registration], reason, decidedBy: String, decidedAt: String } });

  const reg = await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${c05.registration}`, kec05);
    return r.body.status === 'routed' ? r.body : null;
  });
  t.match(reg, { identity: 'confirmed', route: { agency: 'dinsos', level: 'kabupaten' } });
  const [row] = await rows<{ citizen_id: number }>(db, sql`select citizen_id from registrations where id = ${c05.registration}`);
  t.equal(row!.citizen_id, c05.existingCitizen, 'the registration now belongs to the surviving citizen');
  const queue = await call('GET', '/v1/agencies/dinsos/items', dinsosKey);
  t.ok(queue.body.items.some((i: { registrationId: number; citizenId: number }) => i.registrationId === c05.registration && i.citizenId === c05.existingCitizen),
    'delivered to kab:dinsos under the surviving citizen');

  const again = await call('POST', path, kec05, { decision: 'same', reason: 'double click' });
  t.match(again, { status: 200, body: { changed: false, status: 'same', reason } }, 'the same decision again is a no-op');
  const conflict = await call('POST', path, kec05, { decision: 'different', reason: 'changed my mind' });
  t.match(conflict, { status: 409, body: { code: 'CASE_ALREADY_DECIDED', message: { id: /split/, en: /split/ } } });
  t.match(conflict.type, /application\/problem\+json/);

  const decisions = await audit('review.same', c05.caseId);
  t.equal(decisions.length, 1, 'who, when and why: once');
  t.match(decisions[0], { region_code: '181205', detail: { reason, merge: { from: c05.citizen, into: c05.existingCitizen } } });

  const listed = await call('GET', '/v1/review-cases?status=same', kec05);
  t.ok(ids(listed.body.items).includes(c05.caseId));
  t.notOk(ids((await call('GET', '/v1/review-cases', kec05)).body.items).includes(c05.caseId), 'no longer in the open list');
  const detail = await call('GET', `/v1/review-cases/${c05.caseId}`, kec05);
  t.match(detail.body, { status: 'same', reason, decidedBy: String, decidedAt: String, record: { citizenId: c05.existingCitizen } });
});

t.test('the citizen: golden record and every source record, scoped to the kecamatan and audited', async (t) => {
  const pair = samePersonTwice(21);
  const res = await call('GET', `/v1/citizens/${c05.existingCitizen}`, kec05);
  t.equal(res.status, 200);
  t.match(res.body, {
    id: c05.existingCitizen, mergedInto: null,
    golden: { nik: pair.existing.nik, fullName: pair.existing.fullName, address: 'Jl. Baru No. 9', villageCode: pair.incoming.villageCode },
  });
  t.same(res.body.records.map((r: { id: number }) => r.id).sort(), [c05.existingRegistration, c05.registration].sort());
  t.match(await call('GET', `/v1/citizens/${c05.citizen}`, kec05), { status: 200, body: { id: c05.citizen, mergedInto: c05.existingCitizen, records: [] } });
  t.match(await call('GET', `/v1/citizens/${c05.existingCitizen}`, kec03), { status: 404, body: { code: 'CITIZEN_NOT_FOUND' } }, 'no record of this citizen in 18.12.03');
  t.match(await call('GET', `/v1/citizens/${c05.existingCitizen}`, villageKey), { status: 403 });
  const reads = await audit('citizen.read', c05.existingCitizen);
  t.equal(reads.length, 1);
  t.match(reads[0], { region_code: '181205', detail: { records: 2 } });
});

t.test('a split reverses the merge and reopens the case; then "different" holds', async (t) => {
  const path = `/v1/review-cases/${c05.caseId}`;
  t.match(await call('POST', `${path}/split`, kec05, {}), { status: 400, body: { code: 'REASON_REQUIRED' } });
  const split = await call('POST', `${path}/split`, kec05, { reason: 'KK shows two different men' });
  t.match(split, { status: 200, body: { status: 'open', changed: true, citizenId: c05.citizen } });
  t.notOk('decidedBy' in split.body);
  const citizen = await call('GET', `/v1/citizens/${c05.citizen}`, kec05);
  t.match(citizen.body, { mergedInto: null, records: [{ id: c05.registration, link: 'possible' }] });
  const survivor = await call('GET', `/v1/citizens/${c05.existingCitizen}`, adminKey);
  t.same(survivor.body.records.map((r: { id: number }) => r.id), [c05.existingRegistration]);
  t.equal(survivor.body.golden.address, 'Jl. Lama No. 1', 'the golden record no longer uses the split record');
  t.match(await call('POST', `${path}/split`, kec05, { reason: 'again' }), { status: 200, body: { changed: false } });

  t.match(await call('POST', `${path}/decision`, kec05, { decision: 'different', reason: 'two men, same name' }), { status: 200, body: { status: 'different' } });
  t.match(await call('POST', `${path}/split`, kec05, { reason: 'undo' }), { status: 409, body: { code: 'CASE_NOT_MERGED' } });
  t.same((await audit('review.split', c05.caseId)).map((a) => a.detail.reason), ['KK shows two different men']);
});

t.test('"different" releases the held registration under its own citizen', async (t) => {
  const res = await call('POST', `/v1/review-cases/${c01.caseId}/decision`, kec01, { decision: 'different', reason: 'Different mother\'s name' });
  t.match(res, { status: 200, body: { status: 'different', citizenId: c01.citizen, released: [c01.registration] } });
  const reg = await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${c01.registration}`, kec01);
    return r.body.status === 'routed' ? r.body : null;
  });
  t.equal(reg.identity, 'confirmed');
  const queue = await call('GET', '/v1/agencies/dinsos/items', dinsosKey);
  t.ok(queue.body.items.some((i: { registrationId: number; citizenId: number }) => i.registrationId === c01.registration && i.citizenId === c01.citizen));
  t.ok(ids((await call('GET', '/v1/review-cases?status=different', kec01)).body.items).includes(c01.caseId), 'remembered as different');
  t.match((await audit('review.different', c01.caseId))[0], { region_code: '181201', detail: { reason: 'Different mother\'s name' } });
});

t.test('end to end through the identity engine: a possible pair pushed by two tiyuh, decided by kecamatan staff', async (t) => {
  const mulyaJaya = await th.key('village', { villageCode: '1812052006' });
  const push = async (key: string, externalId: string, service: string, applicant: Record<string, unknown>) => {
    const res = await fetch(`${th.url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ externalId, service, applicant }),
    });
    return ((await res.json()) as { records: { id: number }[] }).records[0]!.id;
  };
  const settled = (id: number) => eventually(async () => {
    const r = await call('GET', `/v1/registrations/${id}`, adminKey);
    return ['routed', 'held'].includes(r.body.status) ? r.body : null;
  });
  const siti = { fullName: 'Siti Nurhaliza', nik: '1812014708900001', kk: '1812010101100001', sex: 'F', birthDate: '1990-08-07', motherName: 'Aminah', address: 'Dusun 2 RT 003', birthPlace: 'Panaragan' };
  const known = await settled(await push(villageKey, 'e2e-known', 'KTP_EL_BARU', siti));
  t.equal(known.status, 'routed');
  // Same birth date and NIK region, a near name and a NIK one serial apart: maybe the same Siti, maybe not.
  const nurjanah = { fullName: 'Siti Nurjanah', sex: 'F', birthDate: '1990-08-07', villageCode: '18.12.05.2006', nik: '1812014708900005', kk: '1812050101100009', address: 'Jl. Tiyuh 1' };
  const aidId = await push(mulyaJaya, 'e2e-aid', 'REKOMENDASI_PBI_JK', nurjanah);
  t.match(await settled(aidId), { status: 'held', identity: 'provisional' });

  const list = await call('GET', '/v1/review-cases', kec05);
  const item = list.body.items.find((i: { recordId: number; recordKind: string }) => i.recordKind === 'registration' && i.recordId === aidId);
  t.ok(item, 'the engine\'s possible pair is in the 18.12.05 staff list');
  const detail = await call('GET', `/v1/review-cases/${item.id}`, kec05);
  t.match(detail.body, { record: { person: { fullName: 'Siti Nurjanah' } }, candidate: { golden: { fullName: 'Siti Nurhaliza' } }, evidence: { fields: Array } });

  const decided = await call('POST', `/v1/review-cases/${item.id}/decision`, kec05, { decision: 'different', reason: 'Different NIK serial and mother: two women' });
  t.match(decided, { status: 200, body: { status: 'different', released: [aidId] } });
  t.match(await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${aidId}`, kec05);
    return r.body.status === 'routed' ? r.body : null;
  }), { identity: 'confirmed', route: { agency: 'dinsos' } });

  // The same woman applies again: she is herself, and the rejected pair is not proposed again.
  const again = await settled(await push(mulyaJaya, 'e2e-again', 'REKOMENDASI_PBI_JK', nurjanah));
  t.match(again, { status: 'routed', identity: 'confirmed' });
  const reopened = await rows<{ n: number }>(db, sql`
    select count(*)::int as n from review_cases where status = 'open' and candidate_citizen_id = ${item.candidateCitizenId}`);
  t.equal(reopened[0]!.n, 0, 'no new case against the citizen staff said she is not');
});

t.test('no personal data of the reviewed people reaches the logs', async (t) => {
  const logs = th.logs.text;
  for (const p of [samePersonTwice(21), samePersonTwice(22, PANARAGAN)]) {
    for (const v of [p.existing.nik, p.incoming.nik, p.existing.fullName, p.incoming.fullName, p.existing.motherName]) {
      if (logs.includes(v)) t.fail(`log contains personal data: ${v.slice(0, 4)}…`);
    }
  }
  t.pass('checked');
});
