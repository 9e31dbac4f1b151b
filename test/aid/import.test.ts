import t from 'tap';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { rows } from '../../src/db/client.js';
import { importOperation } from '../../src/cli/operations/import.js';
import type { OperationContext } from '../../src/cli/operations/operation.js';
import { startTestHub } from '../helpers/hub.js';
import { makeNik } from '../helpers/fixtures.js';
import { insertPeople } from '../stats/fixtures.js';

const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const PANARAGAN = '1812012002';
const BANDAR_DEWA = '1812012003';
const OTHER_KEC = '1812052006';
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const kecKey = await th.key('kecamatan', { kecamatanCode: '181201' });

const nik = makeNik('181201', '1990-05-06', 'F', 33);
await insertPeople(db, [{
  golden: { villageCode: PANARAGAN, nik, kk: '1812010101100009', fullName: 'Dewi Lestari', sex: 'F', birthDate: '1990-05-06' },
  records: [{ villageCode: PANARAGAN, localId: '601', nik, kk: '1812010101100009', fullName: 'Dewi Lestari', sex: 'F', birthDate: '1990-05-06' }],
}]);

async function upload(kind: string, key: string, body: Uint8Array, name: string, village?: string) {
  const form = new FormData();
  form.append('file', new Blob([body]), name);
  const q = new URLSearchParams({ kind, ...(village ? { village } : {}) });
  const res = await fetch(`${th.url}/v1/imports?${q}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: res.status, body: await res.json() as Record<string, unknown> & { problems: { line: number; status: string; errors: { code: string; field: string }[] }[] } };
}

// The native API's column names, semicolon-separated as Indonesian Excel saves CSV; rows without a village use the key's.
const programsCsv = Buffer.from([
  'id;name;target;startDate;endDate;active;funding',
  'P1;PKH;1;2026-01-01;2026-12-31;TRUE;APBN',
  'P2;Bantuan Rusak;9;2026-01-01;;1;APBD',
].join('\r\n'));

t.test('aid programs from a CSV go through the aid intake: upserted, bad rows quarantined with codes, a resend changes nothing', async (t) => {
  const first = await upload('aid-programs', villageKey, programsCsv, 'program.csv');
  t.equal(first.status, 200);
  t.match(first.body, { kind: 'aid-programs', rows: 2, created: 1, quarantined: 1 });
  t.match(first.body.problems, [{ line: 3, status: 'quarantined', errors: [{ code: 'TARGET_INVALID', field: 'sasaran' }] }]);
  const [p] = await rows<{ name: string; active: boolean; channel: string }>(db, sql`select name, active, channel from aid_programs where village_code = ${PANARAGAN} and local_id = 'P1'`);
  t.same(p, { name: 'PKH', active: true, channel: 'import' }, 'TRUE read as active; the channel says import');
  const again = await upload('aid-programs', villageKey, programsCsv, 'program.csv');
  t.match(again.body, { created: 0, updated: 0, unchanged: 1, quarantined: 1 });
  const [q] = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine where kind = 'aid_program' and status = 'open'`);
  t.equal(q!.n, 1, 'the bad row is quarantined once');
});

t.test('aid participants from an XLSX with OpenSID column names: linked by NIK, a row of a village outside the key refused with its code', async (t) => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('peserta');
  ws.addRow(['desa_id', 'id', 'program_id', 'kartu_nik', 'kartu_nama', 'kartu_tanggal_lahir']);
  ws.addRow(['18.12.01.2002', 'E1', 'P1', nik, 'Dewi Lestari', '06-05-1990']);
  ws.addRow(['18.12.01.2002', 'E2', 'P1', '', 'Orang Asing', '1999-09-09']);
  ws.addRow([OTHER_KEC, 'E3', 'P1', '', 'Di Kecamatan Lain', '1999-09-09']);
  const xlsx = new Uint8Array(await wb.xlsx.writeBuffer());
  const res = await upload('aid-participants', kecKey, xlsx, 'peserta.xlsx');
  t.equal(res.status, 200);
  t.match(res.body, { kind: 'aid-participants', rows: 3, created: 2, quarantined: 1, linked: 1, unlinked: 1 });
  t.match(res.body.problems, [{ line: 4, status: 'quarantined', errors: [{ code: 'VILLAGE_OUT_OF_SCOPE', field: 'desa_id' }] }]);
  const linked = await rows<{ local_id: string; link: string }>(db, sql`select local_id, link from aid_participants where village_code = ${PANARAGAN} order by local_id`);
  t.same(linked, [{ local_id: 'E1', link: 'nik' }, { local_id: 'E2', link: 'none' }], 'the stranger is kept and listed as unlinked');
  const again = await upload('aid-participants', kecKey, xlsx, 'peserta.xlsx');
  t.match(again.body, { created: 0, updated: 0, unchanged: 2 });
});

t.test('a kecamatan key\'s row without a village and no ?village= is refused with FIELD_REQUIRED; a file without the id column is refused whole', async (t) => {
  const res = await upload('aid-programs', kecKey, Buffer.from('id,nama\nQ1,Sembako\n'), 'p.csv');
  t.match(res.body, { created: 0, quarantined: 1 });
  t.match(res.body.problems, [{ errors: [{ code: 'FIELD_REQUIRED', field: 'desa_id' }] }]);
  const named = await upload('aid-programs', kecKey, Buffer.from('id,nama\nQ1,Sembako\n'), 'p.csv', '18.12.01.2003');
  t.match(named.body, { created: 1, quarantined: 0 });
  const bad = await upload('aid-programs', kecKey, Buffer.from('nama\nSembako\n'), 'p.csv', BANDAR_DEWA);
  t.equal(bad.status, 400);
  t.match(bad.body, { code: 'HEADER_MISSING' });
});

t.test('the CLI operation imports the same way (no scope: the operator\'s), --village for rows without one', async (t) => {
  const c = { db, config: th.hub.config, progress: () => {} } as unknown as OperationContext;
  const r = await importOperation.run(c, { kind: 'aid-programs', village: '18.12.05.2006', fileName: 'p.csv', contentBase64: Buffer.from('id;nama\nZ1;BPNT\n').toString('base64'), withProblems: true });
  t.match(r, { kind: 'aid-programs', created: 1, quarantined: 0 });
  const [p] = await rows<{ village_code: string; channel: string }>(db, sql`select village_code, channel from aid_programs where local_id = 'Z1'`);
  t.same(p, { village_code: OTHER_KEC, channel: 'import' });
  await t.rejects(importOperation.run(c, { kind: 'residents', fileName: 'x.csv', contentBase64: '', withProblems: false }), { code: 'FIELD_REQUIRED' });
});
