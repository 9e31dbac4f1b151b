import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { deleteResidents, ingestResidents, type ResidentInput } from '../../../src/pipeline/intake/residents.js';
import { eventually, startTestHub } from '../../helpers/hub.js';
import { applicant, PANARAGAN } from '../../helpers/fixtures.js';

const th = await startTestHub(t, { api: false });
const ctx = th.hub.ctx;
const db = ctx.db;

/** A row as OpenSID's export carries it: codes as numbers, d-m-Y or Y-m-d dates, dotted desa_id. */
function resident(i: number, over: Partial<ResidentInput> = {}): ResidentInput {
  const a = applicant(i);
  return {
    localId: 1000 + i, villageCode: '18.12.01.2002', nik: a.nik, kk: a.kk, fullName: a.fullName.toUpperCase(),
    sex: a.sex === 'F' ? 2 : 1, birthDate: a.birthDate.split('-').reverse().join('-'), birthPlace: 'PANARAGAN',
    religion: 1, maritalStatus: { id: 2, nama: 'KAWIN' }, familyRole: 1, occupation: 9, education: 5, motherName: a.motherName,
    address: a.address, dusun: '-', rt: '001', rw: '002', statusDasar: 1, extra: { foto: '' }, ...over,
  };
}
const opts = { channel: 'pull' as const, allowedVillages: new Set([PANARAGAN]) };

t.test('a page is stored once; sending it again changes nothing', async (t) => {
  const page = Array.from({ length: 50 }, (_, i) => resident(i));
  const first = await ingestResidents(ctx, page, opts);
  t.match(first, { created: 50, updated: 0, unchanged: 0, quarantined: 0 });
  const again = await ingestResidents(ctx, page, opts);
  t.match(again, { created: 0, updated: 0, unchanged: 50, quarantined: 0 });
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records`);
  t.equal(n!.n, 50);
  const [r] = await rows<{ village_code: string; birth_date: string; marital_status: number; dusun: string | null; sex: string }>(db, sql`
    select village_code, birth_date::text, marital_status, dusun, sex from resident_records where local_id = '1000'`);
  t.same(r, { village_code: PANARAGAN, birth_date: applicant(0).birthDate, marital_status: 2, dusun: null, sex: 'F' }, 'normalized: 10-digit village, Y-m-d, code id, "-" as empty');
  await eventually(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where status = 'identified'`))[0]!.n === 50);
});

t.test('a change is written with its history; status_dasar changes the state', async (t) => {
  const res = await ingestResidents(ctx, [resident(1, { statusDasar: 2 }), resident(2, { address: 'Jl. Baru 5' })], opts);
  t.match(res, { updated: 2 });
  const hist = await rows<{ change: string; diff: Record<string, unknown> }>(db, sql`
    select h.change, h.diff from resident_history h join resident_records r on r.id = h.resident_id
    where r.local_id in ('1001', '1002') order by r.local_id`);
  t.equal(hist[0]!.change, 'state');
  t.same(hist[0]!.diff, { statusDasar: [1, 2], state: ['active', 'dead'] });
  t.same(hist[1]!.diff, { address: [applicant(2).address, 'Jl. Baru 5'] });
  const [dead] = await rows<{ state: string }>(db, sql`select state from resident_records where local_id = '1001'`);
  t.equal(dead!.state, 'dead');
});

t.test('invalid rows are quarantined with their errors; the rest of the page is accepted', async (t) => {
  const res = await ingestResidents(ctx, [
    resident(100),
    resident(101, { nik: '18120199139000' }),
    resident(102, { birthDate: '31-02-1990' }),
    resident(103, { religion: 8 }),
    resident(104, { villageCode: '18.12.05.2006' }),
    resident(105, { fullName: '  ' }),
    resident(106, { statusDasar: 5 }),
    resident(107, { nik: '0181201200200012' }),
  ], opts);
  // A row naming a village outside the sender's scope is refused, not quarantined (issue 16): no village's staff should see it.
  t.match(res, { created: 2, quarantined: 5, refused: 1 });
  t.equal(res.records[4]!.status, 'refused');
  const codes = res.records.map((r) => r.errors?.[0]?.code ?? r.status);
  t.same(codes, ['created', 'NIK_INVALID_FORMAT', 'DATE_INVALID', 'CODE_UNKNOWN', 'VILLAGE_OUT_OF_SCOPE', 'FIELD_REQUIRED', 'CODE_UNKNOWN', 'created']);
  const [temp] = await rows<{ nik: string | null }>(db, sql`select nik from resident_records where local_id = '1107'`);
  t.equal(temp!.nik, null, 'an OpenSID temporary NIK is stored as no NIK');
  const q = await rows<{ payload: { localId: number }; errors: unknown[] }>(db, sql`select payload, errors from quarantine where inbox_id = ${res.inboxId} order by id`);
  t.equal(q.length, 5);
  t.equal(q[0]!.payload.localId, 1101, 'the raw row is kept');
  const again = await ingestResidents(ctx, [resident(101, { nik: '18120199139000' }), resident(102, { birthDate: '31-02-1990' })], opts);
  t.same(again.records.map((r) => r.quarantineId), [res.records[1]!.quarantineId, res.records[2]!.quarantineId], 'the same broken rows sent again point at their open quarantine entries');
  const [open] = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine where external_id in ('1101', '1102') and status = 'open'`);
  t.equal(open!.n, 2, 'not quarantined twice');
});

t.test('a NIK disagreeing with the birth date is a warning', async (t) => {
  const res = await ingestResidents(ctx, [resident(200, { birthDate: '01-01-1970' })], opts);
  t.match(res.records[0], { status: 'created', warnings: [{ code: 'NIK_BIRTHDATE_MISMATCH' }] });
});

t.test('deletions mark records, keep them, and are idempotent', async (t) => {
  const first = await deleteResidents(ctx, [{ villageCode: '18.12.01.2002', localId: 1003 }, { villageCode: '18.12.01.2002', localId: 999999 }], opts);
  t.match(first, { deleted: 1, unknown: 1 });
  const again = await deleteResidents(ctx, [{ villageCode: '18.12.01.2002', localId: 1003 }], opts);
  t.match(again, { deleted: 0 });
  const [r] = await rows<{ state: string; deleted: boolean }>(db, sql`select state, deleted_at is not null as deleted from resident_records where local_id = '1003'`);
  t.same(r, { state: 'deleted', deleted: true });
  const back = await ingestResidents(ctx, [resident(3)], opts);
  t.equal(back.records[0]!.status, 'updated', 'sent again after a deletion: restored');
});

t.test('the same person in two villages is one citizen', async (t) => {
  const both = { allowedVillages: null, channel: 'pull' as const };
  await ingestResidents(ctx, [resident(300, { villageCode: '18.12.05.2006', localId: 77 })], both);
  await eventually(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where status = 'accepted'`))[0]!.n === 0);
  const linked = await rows<{ citizen_id: number }>(db, sql`select distinct citizen_id from resident_records where nik = ${applicant(300).nik}`);
  t.equal(linked.length, 1);
});

t.test('citizenship and other columns are kept in extra, on insert and on update', async (t) => {
  await ingestResidents(ctx, [resident(500, { citizenship: 1 })], opts);
  const [a] = await rows<{ extra: Record<string, unknown> }>(db, sql`select extra from resident_records where local_id = '1500'`);
  t.same(a!.extra, { foto: '', citizenship: 1 });
  await ingestResidents(ctx, [resident(500, { citizenship: 2, extra: { foto: 'x.jpg' } })], opts);
  const [b] = await rows<{ extra: Record<string, unknown> }>(db, sql`select extra from resident_records where local_id = '1500'`);
  t.same(b!.extra, { foto: 'x.jpg', citizenship: 2 });
});
