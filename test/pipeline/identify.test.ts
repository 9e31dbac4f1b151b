import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';

// The identify stage with the matching engine, through the API, against real Postgres and Redis.
const th = await startTestHub(t);
const panaragan = await th.key('village', { villageCode: PANARAGAN });
const mulyaJaya = await th.key('village', { villageCode: '1812052006' });
const db = th.hub.database.db;

async function push(key: string, externalId: string, service: string, applicant: Record<string, unknown>) {
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ externalId, service, applicant }),
  });
  const body = await res.json() as { records: { id: number; status: string }[] };
  if (res.status !== 202 || body.records[0]!.status !== 'accepted') throw new Error(`push failed: ${JSON.stringify(body)}`);
  return body.records[0]!.id;
}
async function settled(id: number) {
  return eventually(async () => {
    const [r] = await rows<{ status: string; citizen_id: number; identity: string }>(db, sql`select status, citizen_id, identity from registrations where id = ${id}`);
    return r && ['routed', 'held'].includes(r.status) ? r : null;
  });
}

const SITI = { fullName: 'Siti Nurhaliza', nik: '1812014708900001', kk: '1812010101100001', sex: 'F', birthDate: '1990-08-07', motherName: 'Aminah', address: 'Dusun 2 RT 003', birthPlace: 'Panaragan' };

t.test('the same person from two tiyuh, with titles and without NIK, is one citizen', async (t) => {
  const a = await settled(await push(panaragan, 's-1', 'KTP_EL_BARU', SITI));
  const b = await settled(await push(mulyaJaya, 's-2', 'SK_TIDAK_PERNAH_DIPIDANA',
    { fullName: 'Hj. Siti Nurhaliza, S.Pd', nik: SITI.nik, sex: 'F', birthDate: SITI.birthDate, birthPlace: 'PANARAGAN', address: 'Jl. Tiyuh 4', villageCode: '18.12.05.2006' }));
  t.ok(a.citizen_id, 'linked');
  const c = await settled(await push(mulyaJaya, 's-3', 'POS_PENGIRIMAN_DOKUMEN',
    { fullName: 'SITI NURHALIZA', sex: 'F', birthDate: SITI.birthDate, nik: '0', motherName: 'AMINAH', address: 'Jl. Tiyuh 4', phone: '081200000001' }));
  t.equal(c.citizen_id, a.citizen_id, 'no NIK, upper case: matched by name, birth date and mother');
  t.equal(c.identity, 'confirmed');
  t.equal(b.citizen_id, a.citizen_id, 'titles and degrees do not make a second person');
  const [link] = await rows<{ link: string; evidence: { fields: unknown[] } }>(db, sql`
    select link, evidence from citizen_records where record_kind = 'registration' and record_id = (select id from registrations where external_id = 's-3')`);
  t.equal(link!.link, 'match');
  t.ok(link!.evidence.fields.length > 0, 'the decision keeps its per-field evidence');
});

t.test('an uncertain pair opens a review case; aid waits, other services go on provisionally', async (t) => {
  // Same birth date and NIK region, a near name and a NIK one serial apart: maybe the same Siti, maybe not.
  const swapped = { fullName: 'Siti Nurhalisa', sex: 'F', birthDate: '1990-08-07', villageCode: '18.12.05.2006' };
  const aid = await settled(await push(mulyaJaya, 'p-aid', 'REKOMENDASI_PBI_JK', { ...swapped, nik: '1812014708900005', kk: '1812050101100009', address: 'Jl. Tiyuh 1' }));
  t.equal(aid.status, 'held', 'a service flagged holdUntilIdentityResolved waits');
  t.equal(aid.identity, 'provisional');
  const cases = await rows<{ kecamatan_code: string; candidate_citizen_id: number; citizen_id: number }>(db, sql`
    select kecamatan_code, candidate_citizen_id, citizen_id from review_cases where record_id = (select id from registrations where external_id = 'p-aid')`);
  t.equal(cases.length, 1, 'one review case');
  t.equal(cases[0]!.kecamatan_code, '181205', 'for the kecamatan of the record\'s village');
  t.not(cases[0]!.citizen_id, cases[0]!.candidate_citizen_id, 'linked provisionally to a citizen of its own');
});

t.test('twins and a child named after a parent are never merged', async (t) => {
  const twinA = await settled(await push(panaragan, 'tw-1', 'KIA', { fullName: 'Rizky Pratama', nik: '1812010505150001', kk: '1812011203150007', sex: 'M', birthDate: '2015-05-05', birthPlace: 'Panaragan', motherName: 'Sumarni' }));
  const twinB = await settled(await push(panaragan, 'tw-2', 'KIA', { fullName: 'Rendy Pratama', nik: '1812010505150002', kk: '1812011203150007', sex: 'M', birthDate: '2015-05-05', birthPlace: 'Panaragan', motherName: 'Sumarni' }));
  t.not(twinA.citizen_id, twinB.citizen_id, 'twins stay two citizens');
  const father = await settled(await push(panaragan, 'fa-1', 'KTP_EL_BARU', { fullName: 'Bambang Sutrisno', nik: '1812011203700003', kk: '1812011203150007', sex: 'M', birthDate: '1970-03-12' }));
  const son = await settled(await push(panaragan, 'so-1', 'KTP_EL_BARU', { fullName: 'Bambang Sutrisno', nik: '1812011203000004', kk: '1812011203150007', sex: 'M', birthDate: '2000-03-12' }));
  t.not(father.citizen_id, son.citizen_id, 'a son named after his father is another person');
});

t.test('resident records of two villages meet registrations in one index', async (t) => {
  const { ingestResidents } = await import('../../src/pipeline/intake/residents.js');
  await ingestResidents(th.hub.ctx, [{ localId: 501, villageCode: '18.12.01.2002', fullName: 'SITI NURHALIZA', nik: SITI.nik, sex: 2, birthDate: '07-08-1990', motherName: 'AMINAH' }],
    { channel: 'pull', allowedVillages: null });
  const r = await eventually(async () => {
    const [x] = await rows<{ citizen_id: number | null }>(db, sql`select citizen_id from resident_records where local_id = '501'`);
    return x?.citizen_id ? x : null;
  });
  const [reg] = await rows<{ citizen_id: number }>(db, sql`select citizen_id from registrations where external_id = 's-1'`);
  t.equal(r.citizen_id, reg!.citizen_id, 'the village\'s population record and the registration are one citizen');
});

t.test('a record that is two citizens at once joins them, as a case the system decided and staff can split', async (t) => {
  const kec05 = await th.key('kecamatan', { kecamatanCode: '181205' });
  const act = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${th.url}/v1/review-cases/${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${kec05}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    t.equal(res.status, 200, path);
  };
  const casesOf = (externalId: string) => rows<{ id: number; citizen_id: number; candidate_citizen_id: number; status: string; kecamatan_code: string; decided_by: string | null }>(db, sql`
    select id, citizen_id, candidate_citizen_id, status, kecamatan_code, decided_by from review_cases
    where record_kind = 'registration' and record_id = (select id from registrations where external_id = ${externalId})`);
  const citizenOf = async (externalId: string) =>
    (await rows<{ citizen_id: number }>(db, sql`select citizen_id from registrations where external_id = ${externalId}`))[0]!.citizen_id;
  // One man known twice: by NIK and birth date in Panaragan, by mother and KK (no NIK, no date) in Mulya Jaya.
  // The two records alone say too little to be linked.
  const byNik = await settled(await push(panaragan, 'af-1', 'POS_PENGIRIMAN_DOKUMEN', { fullName: 'Ahmad Fauzi', nik: '1812051708850003', sex: 'M', birthDate: '1985-08-17', address: 'Dusun 1', phone: '081200000011' }));
  const byMother = await settled(await push(mulyaJaya, 'af-2', 'POS_PENGIRIMAN_DOKUMEN', { fullName: 'Ahmad Fauzi', sex: 'M', motherName: 'Siti Aminah', kk: '1812050101100002', address: 'Jl. Tiyuh 4', phone: '081200000012' }));
  t.not(byMother.citizen_id, byNik.citizen_id, 'two citizens');
  t.same(await casesOf('af-2'), [], 'and no case: the pair was not even a possible match');
  // Then a record with all of it: NIK, birth date, mother and KK. Nothing tells the two apart.
  const full = { fullName: 'AHMAD FAUZI', nik: '1812051708850003', sex: 'M', birthDate: '1985-08-17', motherName: 'SITI AMINAH', kk: '1812050101100002', address: 'Jl. Tiyuh 4', phone: '081200000013' };
  const bridge = await settled(await push(mulyaJaya, 'af-3', 'POS_PENGIRIMAN_DOKUMEN', full));
  const survivor = Math.min(byNik.citizen_id, byMother.citizen_id);
  t.equal(bridge.citizen_id, survivor, 'linked to the older of the two citizens');
  t.equal(bridge.identity, 'confirmed', 'a sure link: the service is not held');
  t.equal(await citizenOf('af-1'), survivor, 'the first record follows');
  t.equal(await citizenOf('af-2'), survivor, 'the second record follows: one person, counted once');
  const [merged] = await rows<{ merged_into: number | null }>(db, sql`select merged_into from citizens where id = ${Math.max(byNik.citizen_id, byMother.citizen_id)}`);
  t.equal(merged!.merged_into, survivor, 'the other citizen is marked merged into the survivor');
  const cases = await casesOf('af-3');
  t.equal(cases.length, 1, 'one case records the join');
  t.match(cases[0], { status: 'same', decided_by: 'sistem:identitas', kecamatan_code: '181205', citizen_id: survivor });
  const [trail] = await rows<{ actor: string; detail: { automatic: boolean; merge: { from: number; into: number } } }>(db, sql`
    select actor, detail from audit_log where target_type = 'review_cases' and target_id = ${String(cases[0]!.id)} and action = 'review.same'`);
  t.match(trail, { actor: 'sistem:identitas', detail: { automatic: true, merge: { into: survivor } } }, 'audited, with what moved');
  // Another such record now simply matches the one citizen.
  const again = await settled(await push(mulyaJaya, 'af-4', 'POS_PENGIRIMAN_DOKUMEN', { ...full, address: 'Jl. Tiyuh 5' }));
  t.equal(again.citizen_id, survivor);
  t.same(await casesOf('af-4'), [], 'nothing left to ask staff');

  // Staff know better: the split undoes the join exactly, and "different" keeps the two apart.
  await act(`${cases[0]!.id}/split`, { reason: 'dua orang berbeda, dicek dengan KK' });
  const apart = new Set([await citizenOf('af-1'), await citizenOf('af-2')]);
  t.equal(apart.size, 2, 'split: two citizens again');
  await act(`${cases[0]!.id}/decision`, { decision: 'different', reason: 'dua orang berbeda, dicek dengan KK' });
  const after = await settled(await push(mulyaJaya, 'af-5', 'POS_PENGIRIMAN_DOKUMEN', { ...full, address: 'Jl. Tiyuh 6' }));
  t.same(await casesOf('af-5'), [], 'staff called them two people: neither joined nor proposed again');
  t.equal(new Set([await citizenOf('af-1'), await citizenOf('af-2'), after.citizen_id]).size, 2, 'still two citizens');
});

t.test('a join settles a case already open about the same two citizens', async (t) => {
  const a = await settled(await push(panaragan, 'sw-1', 'POS_PENGIRIMAN_DOKUMEN', { fullName: 'Sri Wahyuni', nik: '1812016104790002', sex: 'F', birthDate: '1979-04-21', address: 'Dusun 3', phone: '081200000021' }));
  const b = await settled(await push(mulyaJaya, 'sw-2', 'POS_PENGIRIMAN_DOKUMEN', { fullName: 'Sri Wahyuni', sex: 'F', motherName: 'Paini', kk: '1812010303100004', address: 'Dusun 5', phone: '081200000022' }));
  t.not(a.citizen_id, b.citizen_id);
  // Staff were asked about the pair (a case as identify opens for a possible match); sw-2 is provisional meanwhile.
  const [open] = await rows<{ id: number }>(db, sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values ('181205', 'registration', (select id from registrations where external_id = 'sw-2'), ${b.citizen_id}, ${a.citizen_id}, 5) returning id`);
  await db.execute(sql`update registrations set identity = 'provisional' where external_id = 'sw-2'`);
  await settled(await push(panaragan, 'sw-3', 'POS_PENGIRIMAN_DOKUMEN', { fullName: 'SRI WAHYUNI', nik: '1812016104790002', sex: 'F', birthDate: '1979-04-21', motherName: 'PAINI', kk: '1812010303100004', address: 'Dusun 5', phone: '081200000023' }));
  const [c] = await rows<{ status: string; decided_by: string }>(db, sql`select status, decided_by from review_cases where id = ${open!.id}`);
  t.match(c, { status: 'same', decided_by: 'sistem:identitas' }, 'the open case is answered by the join');
  const [r] = await rows<{ identity: string }>(db, sql`select identity from registrations where external_id = 'sw-2'`);
  t.equal(r!.identity, 'confirmed', 'its registration is no longer provisional');
  const after = await rows<{ citizen_id: number }>(db, sql`select distinct citizen_id from registrations where external_id in ('sw-1', 'sw-2', 'sw-3')`);
  t.equal(after.length, 1, 'all three registrations follow one citizen');
});
