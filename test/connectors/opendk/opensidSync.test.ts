import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { startTestHub } from '../../helpers/hub.js';
import { makeNik, PANARAGAN } from '../../helpers/fixtures.js';
import { pendudukRow } from './fixtures/opensidFiles.js';
import { kirimKeOpendk, opensidZip } from './fixtures/opensidSync.js';

// OpenSID v2410's "Kirim ke OpenDK" as its admin experiences it: two requests, one notification.
const th = await startTestHub(t);
const db = th.hub.database.db;
const kecToken = await th.key('opendk', { kecamatanCode: '181201' });
const villageToken = await th.key('opendk', { villageCode: PANARAGAN });
const otherKecToken = await th.key('opendk', { kecamatanCode: '181205' });
const DESA = '18.12.01.2002';

t.test('a clean sync shows green with the counts of the upload and of the deletions', async (t) => {
  const rowsIn = Array.from({ length: 12 }, (_, i) => pendudukRow(i, DESA));
  const notif = await kirimKeOpendk(th.url, kecToken, opensidZip(rowsIn), []);
  t.equal(notif.uploadStatus, 200);
  t.equal(notif.status, 'success');
  t.match(notif.pesan, /^Data Penduduk diterima Tiyuh Hub: 12 baris \(12 baru, 0 berubah, 0 tetap\)\. Penghapusan: 0 penduduk ditandai terhapus\.$/);
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where village_code = ${PANARAGAN}`);
  t.equal(n!.n, 12);

  const again = await kirimKeOpendk(th.url, kecToken, opensidZip(rowsIn), [{ desa_id: DESA, id_pend_desa: '1003', foto: null }, { desa_id: DESA, id_pend_desa: '999', foto: '' }]);
  t.equal(again.status, 'success');
  t.match(again.pesan, /12 baris \(0 baru, 0 berubah, 12 tetap\)\. Penghapusan: 1 penduduk ditandai terhapus, 1 sudah terhapus sebelumnya atau tidak dikenal\./);
});

t.test('rows the hub quarantined turn the screen red, naming the rows and the reasons in Indonesian', async (t) => {
  const bad = pendudukRow(20, DESA);
  const nik = String(bad.nomor_nik);
  const month13 = `${nik.slice(0, 8)}13${nik.slice(10)}`;
  const rowsIn = [
    pendudukRow(21, DESA),
    { ...bad, nomor_nik: month13 },
    pendudukRow(22, DESA, { agama: '12' }),
    ...Array.from({ length: 7 }, (_, i) => pendudukRow(30 + i, DESA, { tanggal_lahir: '31-02-1990' })),
  ];
  const notif = await kirimKeOpendk(th.url, villageToken, opensidZip(rowsIn), []);
  t.equal(notif.status, 'danger', 'red, although the deletions call itself succeeded');
  t.match(notif.pesan, /^Tiyuh Hub TIDAK menerima 9 dari 10 baris Data Penduduk \(dikarantina\); 1 baris diterima/);
  t.match(notif.pesan, /baris 3 \(id 1020\): Bagian tanggal lahir pada NIK tidak sah \(\d{2}13\d{2}\)\. baris 4/);
  t.match(notif.pesan, /baris 4 \(id 1022\): Kode agama "12" tidak dikenal\./);
  t.match(notif.pesan, /Ditambah 4 baris bermasalah lain/, 'the first five are listed, the rest counted');
  t.notMatch(notif.pesan, /religion|birthDate/, 'no English field names in the Indonesian text');
  t.notOk(notif.pesan.includes(month13), 'the NIK itself is not repeated on the screen');
  t.same(notif.deleteBody.unggahan && (notif.deleteBody.unggahan as { quarantined: number }).quarantined, 9);
});

t.test('an upload refused whole (a token of another kecamatan) shows red with the reason; nothing is stored', async (t) => {
  const before = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records`);
  const notif = await kirimKeOpendk(th.url, otherKecToken, opensidZip([pendudukRow(50, DESA)]), []);
  t.equal(notif.uploadStatus, 400);
  t.equal(notif.status, 'danger');
  t.match(notif.pesan, /^Berkas Data Penduduk DITOLAK Tiyuh Hub; tidak ada data penduduk yang disimpan\. Alasan: Kode desa 18\.12\.01\.2002 tidak terdaftar di kecamatan 18\.12\.05 \(baris ke-2\)\./);
  t.notMatch(notif.pesan, /\(\(/, 'no doubled parentheses');
  const after = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records`);
  t.same(after, before);

  const next = await kirimKeOpendk(th.url, kecToken, opensidZip([pendudukRow(51, DESA)]), []);
  t.equal(next.status, 'success', 'the next sync speaks of its own upload only');
});

t.test('a file OpenSID could not get to the hub is not reported as success', async (t) => {
  const notif = await kirimKeOpendk(th.url, villageToken, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), []);
  t.equal(notif.status, 'danger');
  t.match(notif.pesan, /DITOLAK.*Arsip ZIP rusak/);
  // Only the deletions call arrives (the upload failed before reaching the hub).
  const res = await fetch(`${th.url}/api/v1/penduduk`, {
    method: 'POST', headers: { authorization: `Bearer ${villageToken}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ hapus_penduduk: [] }),
  });
  const body = await res.json() as { status: string; message: string };
  t.equal(body.status, 'danger');
  t.match(body.message, /^Tiyuh Hub tidak menerima berkas Data Penduduk dari OpenSID dalam 30 menit terakhir/);
});

t.test('a deletions payload the hub cannot read is a 422 whose errors OpenSID can print', async (t) => {
  await kirimKeOpendk(th.url, kecToken, opensidZip([pendudukRow(60, DESA)]), []);
  const notif = await kirimKeOpendk(th.url, kecToken, opensidZip([pendudukRow(60, DESA)]),
    [{ desa_id: DESA, id_pend_desa: 'x1', foto: null }, { desa_id: DESA } as never]);
  t.equal(notif.deleteStatus, 422);
  t.equal(notif.status, 'danger');
  t.equal(typeof notif.deleteBody.errors, 'string');
  t.match(notif.pesan, /<br\/>.+<br\/>.+/);
});

t.test('what a village sends as OpenSID writes it is stored as the person is called: quotes, temporary NIK, warnings', async (t) => {
  const mismatch = makeNik('181201', '1980-01-01', 'M', 77);
  const rowsIn = [
    pendudukRow(70, DESA, { nama: '"SITI ""ICAH"" AISYAH"' }),
    pendudukRow(71, DESA, { nomor_nik: '0181201200200007' }),
    pendudukRow(72, DESA, { nomor_nik: mismatch, tanggal_lahir: '1985-06-15', jenis_kelamin: '1' }),
  ];
  const notif = await kirimKeOpendk(th.url, kecToken, opensidZip(rowsIn), []);
  t.equal(notif.status, 'success', 'warnings do not refuse a row');
  const stored = await rows<{ local_id: string; full_name: string; nik: string | null; temporary_nik: string | null; warnings: { code: string; message: { id: string } }[] | null }>(db, sql`
    select local_id, full_name, nik, temporary_nik, warnings from resident_records where local_id in ('1070', '1071', '1072') order by local_id`);
  t.equal(stored[0]!.full_name, 'SITI "ICAH" AISYAH');
  t.same([stored[1]!.nik, stored[1]!.temporary_nik], [null, '0181201200200007'], 'kept apart, not a NIK');
  t.match(stored[2]!.warnings, [{ code: 'NIK_BIRTHDATE_MISMATCH', message: { id: String } }]);
  t.equal(stored[0]!.warnings, null);
});
