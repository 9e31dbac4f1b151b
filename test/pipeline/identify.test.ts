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
  const swapped = { fullName: 'Siti Nurjanah', sex: 'F', birthDate: '1990-08-07', villageCode: '18.12.05.2006' };
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
  const twinB = await settled(await push(panaragan, 'tw-2', 'KIA', { fullName: 'Rizki Pratama', nik: '1812010505150002', kk: '1812011203150007', sex: 'M', birthDate: '2015-05-05', birthPlace: 'Panaragan', motherName: 'Sumarni' }));
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
