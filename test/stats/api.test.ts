import t from 'tap';
import ExcelJS from 'exceljs';
import { eventually, startTestHub } from '../helpers/hub.js';
import { rebuildStats } from '../../src/stats/refresh.js';
import { insertPeople, type TestPerson } from './fixtures.js';

// With the workers: the stats refresher runs as in production.
const th = await startTestHub(t);
const db = th.hub.database.db;
const config = th.hub.config;
const PANARAGAN = '1812012002';
const MULYA_JAYA_05 = '1812052006';

const adult = (i: number, village: string): TestPerson => ({
  golden: { villageCode: village, nik: null, kk: `18120101011000${String(i % 100).padStart(2, '0')}`, fullName: `Warga ${i}`, sex: i % 2 ? 'M' : 'F', birthDate: '1990-05-05' },
  records: [{ villageCode: village, localId: `A${i}`, nik: null, kk: null, fullName: `Warga ${i}`, sex: i % 2 ? 'M' : 'F', birthDate: '1990-05-05' }],
});
// Panaragan: 12 adults; Mulya Jaya (18.12.05): 3 adults, a small count.
await insertPeople(db, [...Array.from({ length: 12 }, (_, i) => adult(i, PANARAGAN)), ...Array.from({ length: 3 }, (_, i) => adult(100 + i, MULYA_JAYA_05))]);
await rebuildStats(db, config);

const admin = await th.key('admin');
const kec01 = await th.key('kecamatan', { kecamatanCode: '181201' });
const kec05 = await th.key('kecamatan', { kecamatanCode: '181205' });
const village = await th.key('village', { villageCode: PANARAGAN });
const agency = await th.key('agency', { agencyCode: 'disdukcapil' });

const get = async (path: string, key: string) => {
  const res = await fetch(`${th.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, res };
};
const json = async (path: string, key: string) => {
  const r = await get(path, key);
  return { status: r.status, body: await r.res.json() as Record<string, unknown> & { items: Record<string, unknown>[] } };
};

t.test('a kecamatan key sees only its own tiyuh and is refused another kecamatan', async (t) => {
  const own = await json('/v1/stats/villages?kecamatan=181201', kec01);
  t.equal(own.status, 200);
  t.ok(own.body.items.length > 5 && own.body.items.every((i) => String(i.villageCode).startsWith('181201')));
  t.match(own.body.items.find((i) => i.villageCode === PANARAGAN), { residents: 12, records: 12, duplicates: 0, households: 12, women15to49: 6 });
  t.match(own.body, { asOf: String });
  const all = await json('/v1/stats/villages', kec01);
  t.same(all.body.items.map((i) => i.villageCode), own.body.items.map((i) => i.villageCode), 'without a filter: its own kecamatan');
  const other = await json('/v1/stats/villages?kecamatan=18.12.05', kec01);
  t.equal(other.status, 403);
  t.match(other.body, { code: 'REGION_OUT_OF_SCOPE', field: 'kecamatan', message: { id: String, en: String } });
  t.match((await json('/v1/stats/pyramid?village=1812052006', kec01)).body, { code: 'REGION_OUT_OF_SCOPE' });
  t.match((await json('/v1/stats/villages?kecamatan=999999', kec01)), { status: 400, body: { code: 'KECAMATAN_UNKNOWN' } });
  t.equal((await json('/v1/stats/villages', agency)).status, 403, 'an agency key reads no population figures');
  const v = await json('/v1/stats/villages', village);
  t.same(v.body.items.map((i) => i.villageCode), [PANARAGAN], 'a village key sees its own tiyuh');
});

t.test('counts under 5 in a tiyuh-level table are "< 5" below the kabupaten admin', async (t) => {
  const k = await json('/v1/stats/villages?kecamatan=181205', kec05);
  t.match(k.body.items.find((i) => i.villageCode === MULYA_JAYA_05), { residents: '< 5', records: '< 5', duplicates: 0 });
  const a = await json('/v1/stats/villages?kecamatan=181205', admin);
  t.match(a.body.items.find((i) => i.villageCode === MULYA_JAYA_05), { residents: 3, records: 3 });
  const p = await json(`/v1/stats/pyramid?village=${MULYA_JAYA_05}`, kec05);
  t.match((p.body as unknown as { groups: unknown[] }).groups, [{ ageGroup: '0-4', male: 0, female: 0 }]);
  t.ok(((p.body as unknown as { groups: { male: unknown; female: unknown }[] }).groups).some((g) => g.male === '< 5' || g.female === '< 5'));
  const kecPyramid = await json('/v1/stats/pyramid?kecamatan=181205', kec05);
  t.ok(((kecPyramid.body as unknown as { groups: { male: unknown; female: unknown }[] }).groups).some((g) => g.male === 1 || g.female === 2), 'a kecamatan pyramid is not a tiyuh-level table');
});

t.test('every table exports as CSV for Indonesian Excel and as XLSX', async (t) => {
  const c = await get('/v1/stats/villages?kecamatan=181201&format=csv', kec01);
  t.equal(c.status, 200);
  t.match(c.headers.get('content-type'), /^text\/csv/);
  t.match(c.headers.get('content-disposition'), /attachment; filename="penduduk-per-tiyuh-\d{4}-\d{2}-\d{2}\.csv"/);
  const bytes = new Uint8Array(await c.res.arrayBuffer());
  t.same([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const lines = new TextDecoder().decode(bytes.slice(3)).split('\r\n');
  t.equal(lines[0], 'Kode tiyuh;Tiyuh;Penduduk (orang);Catatan diterima;Duplikat dihapus;Keluarga (KK);Anak 0-23 bulan;Anak 0-59 bulan;Ibu hamil;Perempuan 15-49 tahun;Tanpa NIK');
  t.match(lines.find((l) => l.startsWith(PANARAGAN)), /^1812012002;Panaragan;12;12;0;12;0;0;0;6;12$/);

  const x = await get('/v1/stats/quality?kecamatan=181205&format=xlsx', kec05);
  t.match(x.headers.get('content-type'), /spreadsheetml/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await x.res.arrayBuffer());
  const ws = wb.worksheets[0]!;
  t.match(String(ws.getCell('A1').value), /^Per \d{4}-/, 'the figure says as of when');
  t.equal(ws.getCell('A2').value, 'Peringkat');
  const mulya = ws.getRows(3, ws.rowCount - 2)!.find((r) => r.getCell(2).value === MULYA_JAYA_05);
  t.equal(mulya?.getCell(6).value, '< 5', 'protected counts stay protected in the file');

  const s = await get('/v1/stats/services?format=csv&table=agencies', admin);
  t.match(new TextDecoder().decode(new Uint8Array(await s.res.arrayBuffer())), /Instansi;Diterima;Tunggu p50 \(detik\)/);
});

t.test('data quality ranks the tiyuh to call first', async (t) => {
  const q = await json('/v1/stats/quality?kecamatan=181201', admin);
  const items = q.body.items as { rank: number; score: number; villageCode: string; records: number; validShare: number | null }[];
  t.same(items.map((i) => i.rank), items.map((_, i) => i + 1));
  t.ok(items.every((it, i) => i === 0 || items[i - 1]!.score <= it.score), 'worst first');
  t.match(items.find((i) => i.villageCode === PANARAGAN), { records: 12, validShare: 1, withoutNik: 12 });
  t.equal(items[0]!.records, 0, 'a tiyuh that sent nothing comes first');
});

t.test('a change reaches the figures within one minute, without a rebuild', async (t) => {
  const before = await json(`/v1/stats/villages?village=${PANARAGAN}`, admin);
  t.equal(before.body.items[0]!.children0to59m, 0);
  const today = new Date();
  const toddler = `${today.getUTCFullYear() - 1}-${String(today.getUTCMonth() + 1).padStart(2, '0')}-01`;
  await insertPeople(db, [{
    golden: { villageCode: PANARAGAN, nik: null, kk: '1812010101100001', fullName: 'Anak Baru', sex: 'F', birthDate: toddler },
    records: [{ villageCode: PANARAGAN, localId: 'B1', nik: null, kk: null, fullName: 'Anak Baru', sex: 'F', birthDate: toddler }],
  }]);
  const t0 = Date.now();
  const after = await eventually(async () => {
    const r = await json(`/v1/stats/villages?village=${PANARAGAN}`, admin);
    return r.body.items[0]!.children0to23m === 1 ? r : null;
  }, 60_000, 1000);
  t.match(after.body.items[0], { residents: 13, children0to23m: 1, children0to59m: 1 });
  t.ok(Date.now() - t0 < 60_000, `seen after ${Math.round((Date.now() - t0) / 1000)} s`);
  t.not(after.body.asOf, before.body.asOf, 'asOf moved with the refresh');
});
