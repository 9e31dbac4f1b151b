import t from 'tap';
import { sql } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { rows } from '../../src/db/client.js';
import { PARTICIPANT_HEADER, PROGRAM_HEADER } from '../../src/connectors/opendk/programBantuanZip.js';
import { startTestHub } from '../helpers/hub.js';
import { makeNik } from '../helpers/fixtures.js';
import { insertPeople } from '../stats/fixtures.js';
import { refreshStats } from '../../src/stats/refresh.js';

const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const kecToken = await th.key('opendk', { kecamatanCode: '181201' });
const otherKecToken = await th.key('opendk', { kecamatanCode: '181205' });
const kecKey = await th.key('kecamatan', { kecamatanCode: '181201' });
const PANARAGAN = '1812012002';
const BANDAR_DEWA = '1812012003';
const dotted = (v: string) => `${v.slice(0, 2)}.${v.slice(2, 4)}.${v.slice(4, 6)}.${v.slice(6)}`;

// One person known to two tiyuh with two NIK spellings (the second village typed the last two digits swapped).
const nik1 = makeNik('181201', '1988-03-14', 'F', 21);
const nik2 = `${nik1.slice(0, 14)}${nik1[15]}${nik1[14]}`;
const [siti] = await insertPeople(db, [{
  golden: { villageCode: PANARAGAN, nik: nik1, kk: '1812010101100001', fullName: 'Siti Aminah', sex: 'F', birthDate: '1988-03-14' },
  records: [
    { villageCode: PANARAGAN, localId: '501', nik: nik1, kk: '1812010101100001', fullName: 'Siti Aminah', sex: 'F', birthDate: '1988-03-14' },
    { villageCode: BANDAR_DEWA, localId: '77', nik: nik2, kk: '1812010202110002', fullName: 'SITI AMINAH', sex: 'F', birthDate: '1988-03-14' },
  ],
}, {
  golden: { villageCode: BANDAR_DEWA, nik: null, kk: '1812010202110003', fullName: 'Bambang Hidayat', sex: 'M', birthDate: '1970-07-01' },
  records: [{ villageCode: BANDAR_DEWA, localId: '78', nik: null, kk: '1812010202110003', fullName: 'Bambang Hidayat', sex: 'M', birthDate: '1970-07-01' }],
}]);

const csv = (header: readonly string[], lines: string[][]) => [header.join(','), ...lines.map((l) => l.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))].join('\n');
const zip = (name: string, text: string) => zipSync({ [name]: strToU8(text) });

async function post(path: string, token: string, file: Uint8Array, desaId: string) {
  const form = new FormData();
  form.append('desa_id', desaId);
  form.append('file', new Blob([file], { type: 'application/zip' }), 'data.zip');
  const res = await fetch(`${th.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-requested-with': 'XMLHttpRequest' }, body: form });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

// Panaragan's OpenSID writes the header as v2410 does (no userid) but every row with it: the shift.
const programsA = zip('program_bantuan.csv', `${PROGRAM_HEADER.join(',')}\n${[
  [dotted(PANARAGAN), '3', 'BLT Dana Desa', '1', 'Bantuan tunai', '2026-01-01', '2026-12-31', '1', '1', 'Dana Desa'],
  [dotted(PANARAGAN), '4', 'Bantuan Bibit', '2', '', '01-02-2026', '31-12-2026', '1', '0', 'APBD'],
  [dotted(PANARAGAN), '5', 'Program Rusak', '1', '', '2026-13-45', '', '1', '1', 'APBD'],
].map((l) => l.join(',')).join('\n')}\n`);
// Bandar Dewa's OpenSID writes a consistent header.
const programsB = zip('program_bantuan.csv', csv(PROGRAM_HEADER, [[dotted(BANDAR_DEWA), '7', 'BLT DANA DESA', '1', '', '2026-01-01', '2026-12-31', '1', 'Dana Desa']]));
const participantsA = zip('peserta.csv', csv(PARTICIPANT_HEADER, [
  [dotted(PANARAGAN), '900', nik1, '3', 'K-1', nik1, 'Siti Aminah', 'Panaragan', '1988-03-14', 'RT 1', '', '501', '1'],
  [dotted(PANARAGAN), '901', '', '', 'K-2', '', 'Tanpa Program', '', '', '', '', '', '1'],
]));
const participantsB = zip('peserta.csv', csv(PARTICIPANT_HEADER, [
  [dotted(BANDAR_DEWA), '31', nik2, '7', 'K-9', nik2, 'SITI AMINAH', 'Bandar Dewa', '14-03-1988', '', '', '77', '1'],
  [dotted(BANDAR_DEWA), '32', '', '7', 'K-10', '', 'Bambang Hidayat', '', '1970-07-01', '', '', '', '1'],
  [dotted(BANDAR_DEWA), '33', '', '7', 'K-11', '', 'Orang Asing', '', '1999-09-09', '', '', '', '1'],
]));

t.test('Program Bantuan ZIPs as OpenSID sends them, the shifted-column variant included, are accepted; bad rows quarantined with codes', async (t) => {
  const a = await post('/program-bantuan', kecToken, programsA, dotted(PANARAGAN));
  t.equal(a.status, 200);
  t.match(a.body, { status: 'warning', baru: 2, dikarantina: 1, kolom_bergeser_diperbaiki: 3 });
  t.match(a.body.masalah, [{ id: '5', status: 'quarantined', kesalahan: [/sdate/] }]);
  const b = await post('/program-bantuan', kecToken, programsB, dotted(BANDAR_DEWA));
  t.match(b.body, { status: 'success', baru: 1, kolom_bergeser_diperbaiki: 0 });
  const programs = await rows<{ local_id: string; name: string; active: boolean; funding: string; program_key: string; start_date: string }>(db, sql`
    select local_id, name, active, funding, program_key, to_char(start_date, 'YYYY-MM-DD') as start_date from aid_programs order by village_code, local_id::int`);
  t.same(programs, [
    { local_id: '3', name: 'BLT Dana Desa', active: true, funding: 'Dana Desa', program_key: 'BLT-DANA-DESA', start_date: '2026-01-01' },
    { local_id: '4', name: 'Bantuan Bibit', active: false, funding: 'APBD', program_key: 'BANTUAN-BIBIT', start_date: '2026-02-01' },
    { local_id: '7', name: 'BLT DANA DESA', active: true, funding: 'Dana Desa', program_key: 'BLT-DANA-DESA', start_date: '2026-01-01' },
  ], 'status and funding are read from the right columns despite the shift');
  const [q] = await rows<{ errors: { code: string; field: string }[] }>(db, sql`select errors from quarantine where kind = 'aid_program'`);
  t.match(q!.errors, [{ code: 'DATE_INVALID', field: 'sdate' }]);
});

t.test('participants are linked to the golden record; a bad row is quarantined, a stranger is listed, not dropped', async (t) => {
  const a = await post('/program-bantuan/peserta', kecToken, participantsA, dotted(PANARAGAN));
  t.match(a.body, { baru: 1, dikarantina: 1, dikenali: 1, belum_dikenali: 0 });
  const b = await post('/program-bantuan/peserta', kecToken, participantsB, dotted(BANDAR_DEWA));
  t.match(b.body, { baru: 3, dikenali: 2, belum_dikenali: 1 });
  const links = await rows<{ local_id: string; link: string }>(db, sql`select local_id, link from aid_participants order by village_code, local_id::int`);
  t.same(links, [{ local_id: '900', link: 'nik' }, { local_id: '31', link: 'resident' }, { local_id: '32', link: 'name_birth' }, { local_id: '33', link: 'none' }],
    'NIK where valid and known; the swapped NIK falls back to the village resident id; name + birth date in the village');
  const [q] = await rows<{ errors: { code: string; field: string }[] }>(db, sql`select errors from quarantine where kind = 'aid_participant'`);
  t.match(q!.errors, [{ code: 'FIELD_REQUIRED', field: 'program_id' }]);

  const unlinked = await fetch(`${th.url}/v1/aid-participants/unlinked?kecamatan=181201`, { headers: { authorization: `Bearer ${kecKey}` } });
  t.match(await unlinked.json(), { items: [{ localId: '33', fullName: 'Orang Asing', villageCode: BANDAR_DEWA }] });
});

t.test('resending the same ZIPs changes nothing and quarantines nothing twice', async (t) => {
  const before = await rows(db, sql`select id, updated_at from aid_participants order by id`);
  const p = await post('/program-bantuan', kecToken, programsA, dotted(PANARAGAN));
  t.match(p.body, { baru: 0, berubah: 0, tetap: 2, dikarantina: 1 });
  const r = await post('/program-bantuan/peserta', kecToken, participantsB, dotted(BANDAR_DEWA));
  t.match(r.body, { baru: 0, berubah: 0, tetap: 3 });
  t.same(await rows(db, sql`select id, updated_at from aid_participants order by id`), before);
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine`);
  t.equal(n!.n, 2);
});

t.test('a token of another kecamatan cannot write these villages', async (t) => {
  const r = await post('/program-bantuan', otherKecToken, programsB, dotted(BANDAR_DEWA));
  t.match(r.body, { baru: 0, dikarantina: 1, masalah: [{ kesalahan: [/desa_id: Kode desa 18.12.01.2003 tidak terdaftar/] }] });
  const noToken = await fetch(`${th.url}/api/v1/program-bantuan`, { method: 'POST' });
  t.equal(noToken.status, 401);
});

t.test('double enrolment: one person in the same program in two tiyuh, found across two NIK spellings', async (t) => {
  // The workers' refresher would do this within 20 s; this hub runs without workers.
  await refreshStats(db, th.hub.config);
  const res = await fetch(`${th.url}/v1/stats/double-enrolment?kecamatan=18.12.01`, { headers: { authorization: `Bearer ${kecKey}` } });
  t.equal(res.status, 200);
  const body = await res.json() as { programs: unknown[]; items: { citizenId: number; a: { villageCode: string; nik: string }; b: { villageCode: string; nik: string } }[] };
  t.same(body.programs, [{ programKey: 'BLT-DANA-DESA', name: null, people: 1 }]);
  t.equal(body.items.length, 1);
  t.match(body.items[0], { citizenId: siti, a: { villageCode: PANARAGAN, nik: nik1 }, b: { villageCode: BANDAR_DEWA, nik: nik2 } });
  const csvRes = await fetch(`${th.url}/v1/stats/double-enrolment?kecamatan=18.12.01&format=csv`, { headers: { authorization: `Bearer ${kecKey}` } });
  const text = await csvRes.text();
  t.match(csvRes.headers.get('content-disposition'), /penerima-ganda-\d{4}-\d{2}-\d{2}\.csv/);
  t.match(text, /^\uFEFF?ID warga;Nama;Program;Tiyuh A/);
  t.match(text, new RegExp(`${siti};Siti Aminah;BLT-DANA-DESA;${PANARAGAN};BLT Dana Desa;${nik1};${BANDAR_DEWA};BLT DANA DESA;${nik2}`));
  const [audit] = await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = 'aid.double_enrolment.read'`);
  t.equal(audit!.n, 2, 'each read of the list is audited');

  // Out of the kecamatan's scope: refused.
  const other = await fetch(`${th.url}/v1/stats/double-enrolment?kecamatan=181205`, { headers: { authorization: `Bearer ${kecKey}` } });
  t.equal(other.status, 403);
});

t.test('the native API takes the same rows in JSON, with Idempotency-Key and a batch limit', async (t) => {
  const villageKey = await th.key('village', { villageCode: PANARAGAN });
  const send = (path: string, body: unknown, idem?: string) => fetch(`${th.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${villageKey}`, 'content-type': 'application/json', ...(idem ? { 'idempotency-key': idem } : {}) }, body: JSON.stringify(body),
  });
  const first = await send('/v1/aid-programs', { programs: [{ id: 'pkh-1', name: 'PKH', target: 2, active: true, startDate: '2026-01-01' }] }, 'prog-1');
  t.equal(first.status, 200);
  t.match(await first.json(), { created: 1 });
  const again = await send('/v1/aid-programs', { programs: [{ id: 'pkh-1', name: 'PKH', target: 2, active: true, startDate: '2026-01-01' }] }, 'prog-1');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.match(await again.json(), { created: 1 });
  const part = await send('/v1/aid-participants', { participants: [{ id: 'e-1', programId: 'pkh-1', fullName: 'Siti Aminah', birthDate: '1988-03-14', nik: nik1 }] });
  t.match(await part.json(), { created: 1, linked: 1 });
  const tooMany = await send('/v1/aid-participants', { participants: Array.from({ length: 1001 }, (_, i) => ({ id: `x${i}`, programId: 'pkh-1' })) });
  t.equal(tooMany.status, 413);
  t.match(await tooMany.json(), { code: 'BATCH_TOO_LARGE' });
  const bad = await send('/v1/aid-programs', { programs: [{ id: 'z', name: 'X', villageCode: '1812052006' }] });
  t.match(await bad.json(), { created: 0, quarantined: 1, problems: [{ errors: [{ code: 'VILLAGE_OUT_OF_SCOPE' }] }] });
});
