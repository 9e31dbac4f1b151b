import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildXlsx } from '../connectors/opendk/fixtures/opensidFiles.js';
import { runCli } from '../connectors/opendk/fixtures/cli.js';

const th = await startTestHub(t);
const db = th.hub.database.db;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const kecamatanKey = await th.key('kecamatan', { kecamatanCode: '181201' });

async function upload(bytes: Uint8Array, name: string, key = villageKey, query = '') {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${th.url}/v1/imports${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: res.status, body: JSON.parse(await res.text()) };
}
async function get(path: string, key = villageKey) {
  const res = await fetch(`${th.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: bytes.toString('utf8'), bytes };
}
const count = async (q: string) => (await rows<{ n: number }>(db, sql.raw(q)))[0]!.n;

/** OpenSID's Excel export column names ("nik", "no_kk", "tempatlahir", "agama_id"), Indonesian Excel's `;`. */
function opensidCsv(from: number, n: number, mutate: (cells: string[], i: number) => void = () => {}): string {
  const header = ['nama', 'nik', 'no_kk', 'jenis_kelamin', 'tempatlahir', 'tanggallahir', 'agama_id', 'status_kawin', 'kk_level', 'pekerjaan_id', 'nama_ibu', 'alamat', 'rt', 'rw', 'dusun'];
  const lines = [header.join(';')];
  for (let i = from; i < from + n; i++) {
    const a = applicant(i);
    const cells = [a.fullName, a.nik, a.kk, a.sex === 'M' ? 'LAKI-LAKI' : 'PEREMPUAN', a.birthPlace, a.birthDate.split('-').reverse().join('-'), '1', '2', '4', '9', a.motherName, a.address, a.rt, a.rw, a.dusun];
    mutate(cells, i);
    lines.push(cells.join(';'));
  }
  return `${lines.join('\r\n')}\r\n`;
}
const utf8Bom = (s: string) => new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(s, 'utf8')]);

t.test('a CSV in OpenSID\'s export columns is imported; bad rows are quarantined and listed by file row', async (t) => {
  const csv = opensidCsv(0, 6, (cells, i) => {
    if (i === 2) cells[1] = '12345';
    if (i === 4) cells[5] = '31-02-1990';
  });
  const res = await upload(utf8Bom(csv), 'penduduk.csv');
  t.equal(res.status, 202);
  t.match(res.body, { importId: Number, villageCode: PANARAGAN, rows: 6, created: 4, quarantined: 2, errorsCsv: String });
  const stored = await rows<{ local_id: string; sex: string; birth_date: string }>(db, sql`
    select local_id, sex, to_char(birth_date, 'YYYY-MM-DD') as birth_date from resident_records where channel = 'import' order by id`);
  t.equal(stored[0]!.local_id, applicant(0).nik, 'without an id column the NIK is the resident\'s id');
  t.equal(stored[0]!.birth_date, applicant(0).birthDate, 'd-m-Y read');
  t.equal(stored[0]!.sex, applicant(0).sex);

  const csvErrors = await get(res.body.errorsCsv);
  t.equal(csvErrors.status, 200);
  t.match(csvErrors.type, /text\/csv/);
  t.same([...csvErrors.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM, so Excel reads it as UTF-8');
  const lines = csvErrors.text.replace(/^\ufeff/, '').trim().split('\r\n');
  t.equal(lines[0], 'baris;id;status;jenis;kode;kolom;pesan;message;quarantine_id', '; between columns, as Excel in the Indonesian locale splits');
  t.match(lines[1], /^4;.*;quarantined;error;NIK_INVALID_FORMAT;nik;/, 'row 4 of the file (header is row 1)');
  t.match(lines[2], /^6;.*;quarantined;error;DATE_INVALID;birthDate;/);
  t.equal((await get(res.body.errorsCsv, otherVillageKey)).status, 404, 'another village cannot read it');
  const summary = await get(`/v1/imports/${res.body.importId}`, kecamatanKey);
  t.equal(summary.status, 200);
  t.match(JSON.parse(summary.text), { importId: res.body.importId, rows: 6, created: 4, quarantined: 2, problemRows: 2 });
  t.notOk('problems' in JSON.parse(summary.text), 'the summary holds counts, not rows');

  const again = await upload(utf8Bom(csv), 'penduduk.csv');
  t.match(again.body, { created: 0, unchanged: 4, quarantined: 2 }, 'a re-import changes nothing');
});

t.test('Windows-1252 CSV, XLSX with inline strings, camelCase headers and Excel serial dates', async (t) => {
  const latin = Buffer.from('id,nama,nik,jenis_kelamin,tanggal_lahir\n9001,JOS\xc9 MAR\xcdA,,P,1990-05-17\n', 'latin1');
  const res = await upload(new Uint8Array(latin), 'lama.csv');
  t.match(res.body, { created: 1 });
  const [jose] = await rows<{ full_name: string }>(db, sql`select full_name from resident_records where local_id = '9001'`);
  t.equal(jose!.full_name, 'JOSÉ MARÍA');

  // 33010 is 1990-05-17 in Excel's day count.
  const xlsx = buildXlsx([
    ['localId', 'fullName', 'sex', 'birthDate', 'religion', 'kampung'],
    [9100, { inline: 'Siti Aminah' }, 'P', 33010, 1, 'Blok A'],
    [9101, 'Bambang', 'L', '1988-01-02', { formula: '1+1', cached: '2' }, ''],
  ]);
  const x = await upload(xlsx, 'data.xlsx');
  t.equal(x.status, 202);
  t.match(x.body, { rows: 2, created: 1, quarantined: 1 });
  const [siti] = await rows<{ full_name: string; birth_date: string; extra: Record<string, unknown> }>(db, sql`
    select full_name, to_char(birth_date, 'YYYY-MM-DD') as birth_date, extra from resident_records where local_id = '9100'`);
  t.same(siti, { full_name: 'Siti Aminah', birth_date: '1990-05-17', extra: { kampung: 'Blok A' } });
  t.match(x.body.problems, [{ row: 3, localId: '9101', errors: [{ code: 'CODE_UNKNOWN', field: 'religion' }] }], 'a formula is text, not its value');
});

t.test('a broken file is refused whole with its reason', async (t) => {
  const before = await count('select count(*)::int as n from inbox');
  const noName = await upload(utf8Bom('nik;alamat\n1812010101900001;x\n'), 'a.csv');
  t.match(noName, { status: 400, body: { code: 'HEADER_MISSING_COLUMN', field: 'file', message: { id: /nama/, en: /nama/ } } });
  const otherVillage = await upload(utf8Bom('nama;nik;desa_id\nSiti;1;18.12.01.2002\nBudi;2;18.12.05.2006\n'), 'v.csv');
  t.match(otherVillage, { status: 400, body: { code: 'VILLAGE_OUT_OF_SCOPE', message: { id: /Baris ke-3 .*18\.12\.05\.2006/ } } });
  const xls = await upload(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'old.xls');
  t.match(xls, { status: 400, body: { code: 'FILE_XLS_UNSUPPORTED' } });
  const headerOnly = await upload(utf8Bom('nama,nik\n'), 'h.csv');
  t.match(headerOnly, { status: 400, body: { code: 'FILE_NO_ROWS' } });
  const badQuote = await upload(utf8Bom('nama,nik\n"SITI,1\n'), 'q.csv');
  t.match(badQuote, { status: 400, body: { code: 'CSV_INVALID' } });
  const notXlsx = await upload(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 'x.xlsx');
  t.match(notXlsx, { status: 400, body: { code: /^(ZIP_CORRUPT|XLSX_INVALID)$/ } });
  const noFile = await fetch(`${th.url}/v1/imports`, { method: 'POST', headers: { authorization: `Bearer ${villageKey}` }, body: new FormData() });
  t.equal(noFile.status, 400);
  t.equal((await upload(utf8Bom(opensidCsv(0, 1)), 'k.csv', kecamatanKey)).status, 400, 'a kecamatan key names the village');
  t.equal(await count('select count(*)::int as n from inbox'), before);
});

t.test('10,000 rows are imported in chunks of at most 1,000', async (t) => {
  const started = Date.now();
  const res = await upload(utf8Bom(opensidCsv(20_000, 10_000)), 'besar.csv', kecamatanKey, '?village=18.12.01.2002');
  t.equal(res.status, 202);
  t.match(res.body, { rows: 10_000, created: 10_000, quarantined: 0 });
  const chunks = await rows<{ n: number; max: number }>(db, sql`
    select count(*)::int as n, max(record_count)::int as max from inbox where channel = 'import' and id >= ${res.body.importId}`);
  t.same(chunks[0], { n: 10, max: 1000 });
  t.comment(`10,000 rows in ${Date.now() - started} ms`);
});

t.test('tiyuh-hub import FILE --village: progress on stderr, summary on stdout, row errors to a CSV', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tiyuh-import-'));
  const file = path.join(dir, 'penduduk.csv');
  writeFileSync(file, opensidCsv(40_000, 1500, (cells, i) => { if (i === 40_010) cells[6] = '9'; }));
  const errors = path.join(dir, 'errors.csv');
  const res = await runCli(th, ['import', file, '--village', '18.12.01.2002', '--errors', errors]);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stderr, /\[#+\] 1500\/1500 rows/, 'a progress bar');
  t.match(res.stdout, /import #\d+: 1500 rows in [\d.]+ s \(\d+ rows\/s\): 1499 created, 0 updated, 0 unchanged, 1 quarantined/);
  t.match(readFileSync(errors, 'utf8'), /\r\n12;\d+;quarantined;error;CODE_UNKNOWN;religion;/, 'row 12 of the file');
  const refused = await runCli(th, ['import', path.join(dir, 'errors.csv'), '--village', '18.12.01.2002']);
  t.equal(refused.code, 1, 'a file without the name column is refused');
  t.match(refused.stderr, /HEADER_MISSING_COLUMN/);
  t.equal((await runCli(th, ['import', file])).code, 2, '--village is required');
});
