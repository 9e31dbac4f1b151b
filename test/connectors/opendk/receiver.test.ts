import t from 'tap';
import { sql } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { rows } from '../../../src/db/client.js';
import { OPENSID_PENDUDUK_HEADER } from '../../../src/connectors/opendk/penduduk.js';
import { Redis } from 'ioredis';
import { eventually, startTestHub, TEST_REDIS_URL } from '../../helpers/hub.js';
import { PANARAGAN } from '../../helpers/fixtures.js';
import { buildXlsx, pendudukRow, pendudukZip } from './fixtures/opensidFiles.js';
import { runCli } from './fixtures/cli.js';

const th = await startTestHub(t);
const db = th.hub.database.db;
const kecToken = await th.key('opendk', { kecamatanCode: '181201' });
const villageToken = await th.key('opendk', { villageCode: PANARAGAN });
const villageApiKey = await th.key('village', { villageCode: PANARAGAN });
const DESA = '18.12.01.2002';

async function send(path: string, token: string | null, body: FormData | Record<string, unknown> | URLSearchParams | undefined, method = 'POST') {
  const headers: Record<string, string> = { 'x-requested-with': 'XMLHttpRequest', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let payload: FormData | URLSearchParams | string | undefined;
  if (body instanceof FormData || body instanceof URLSearchParams) payload = body;
  else if (body) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
  const res = await fetch(`${th.url}/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const upload = (zip: Uint8Array, token: string | null = kecToken, name = 'penduduk_1812012002.zip') => {
  const form = new FormData();
  form.append('file', new Blob([zip], { type: 'application/zip' }), name);
  return send('/penduduk/storedata', token, form);
};
const residents = () => rows<{ id: number; village_code: string; local_id: string; nik: string | null; full_name: string; sex: string; birth_date: string; state: string; status_dasar: number; extra: Record<string, unknown> | null }>(db,
  sql`select id, village_code, local_id, nik, full_name, sex, to_char(birth_date, 'YYYY-MM-DD') as birth_date, state, status_dasar, extra from resident_records order by local_id::int`);
const count = async (q: string) => (await rows<{ n: number }>(db, sql.raw(q)))[0]!.n;

const batch = Array.from({ length: 30 }, (_, i) => pendudukRow(i, DESA));

t.test('a ZIP built the way OpenSID builds it is accepted and its rows flow into resident records', async (t) => {
  const res = await upload(pendudukZip(batch));
  t.equal(res.status, 200);
  t.match(res.body, { status: 'success', message: String, baru: 30, berubah: 0, tetap: 0, dikarantina: 0 });
  const list = await residents();
  t.equal(list.length, 30);
  const first = list[0]!;
  t.equal(first.village_code, '1812012002', 'dotted desa_id stored as 10 digits');
  t.equal(first.local_id, '1000', 'keyed by OpenSID id');
  t.equal(first.nik, batch[0]!.nomor_nik);
  t.equal(first.sex, batch[0]!.jenis_kelamin === 1 ? 'M' : 'F');
  t.equal(first.birth_date, batch[0]!.tanggal_lahir);
  t.equal(first.extra?.foto, batch[0]!.foto, 'other columns are kept as they came');
  const [inbox] = await rows<{ n: number; inboxes: number }>(db, sql`select count(*)::int as n, count(distinct inbox_id)::int as inboxes from resident_records r
    join inbox i on i.id = r.inbox_id and i.channel = 'opendk'`);
  t.same(inbox, { n: 30, inboxes: 1 }, 'each record names the submission that brought it');
  t.equal(await count('select count(*)::int as n from resident_history'), 0, 'history starts with the first change');
  const identified = await eventually(async () => {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where status = 'identified' and citizen_id is not null`);
    return r!.n === 30 ? r!.n : 0;
  });
  t.equal(identified, 30, 'every row went on through the identify stage to a citizen');
  t.notOk(th.logs.text.includes(String(batch[0]!.nomor_nik)), 'no NIK in the logs');
  const redis = new Redis(TEST_REDIS_URL);
  let jobs = '';
  for (const key of await redis.keys(`${th.prefix}:*`)) {
    if ((await redis.type(key)) === 'hash') jobs += JSON.stringify(await redis.hgetall(key));
  }
  await redis.quit();
  t.ok(jobs.includes('"ids'), 'jobs were enqueued');
  t.notOk(jobs.includes(String(batch[0]!.nomor_nik)) || jobs.includes(String(batch[0]!.nama)), 'jobs carry ids, no NIK or name');
  t.notOk(th.logs.text.includes(String(batch[0]!.nama)), 'no name in the logs');
});

t.test('sending the same file again changes nothing', async (t) => {
  const before = await count('select count(*)::int as n from resident_history');
  const res = await upload(pendudukZip(batch));
  t.equal(res.status, 200);
  t.match(res.body, { status: 'success', baru: 0, berubah: 0, tetap: 30 });
  t.equal(await count('select count(*)::int as n from resident_records'), 30, 'no duplicates (OpenDK #668, #993)');
  t.equal(await count('select count(*)::int as n from resident_history'), before, 'no history for an unchanged resend');
});

t.test('reordered columns are read by name; status_dasar 2 marks the record dead and keeps its history', async (t) => {
  const reordered = [...OPENSID_PENDUDUK_HEADER].reverse();
  const changed = batch.map((r, i) => (i === 4 ? { ...r, status_dasar: 2 } : r));
  const res = await upload(pendudukZip(changed, { header: reordered }));
  t.equal(res.status, 200);
  t.match(res.body, { baru: 0, berubah: 1, tetap: 29 });
  const dead = (await residents()).find((r) => r.local_id === '1004')!;
  t.equal(dead.state, 'dead');
  t.equal(dead.status_dasar, 2);
  const hist = await rows<{ change: string; diff: Record<string, unknown> }>(db, sql`select change, diff from resident_history where resident_id = ${dead.id} order by id`);
  t.same(hist.map((h) => h.change), ['state']);
  t.same(hist[0]!.diff.statusDasar, [1, 2]);
});

t.test('in a readable file, valid rows are accepted and invalid rows quarantined with their errors', async (t) => {
  const rowsIn = [
    pendudukRow(100, DESA),
    pendudukRow(101, DESA, { nomor_nik: '18120199139000' }),
    pendudukRow(102, DESA, { tanggal_lahir: '31-02-1990' }),
    pendudukRow(103, DESA, { agama: 12 }),
    pendudukRow(104, DESA, { tanggal_lahir: '15-08-1985', nomor_nik: '0181201200200001' }),
  ];
  const res = await upload(pendudukZip(rowsIn));
  t.equal(res.status, 200);
  t.match(res.body, { status: 'danger', baru: 2, dikarantina: 3 }, 'a file with refused rows is not a success');
  t.match(res.body.masalah, [{ baris: 3, id: '1101' }, { baris: 4, id: '1102' }, { baris: 5, id: '1103' }]);
  const q = await rows<{ external_id: string; village_code: string; errors: { code: string }[]; payload: Record<string, unknown> }>(db,
    sql`select external_id, village_code, errors, payload from quarantine where kind = 'resident' order by id`);
  t.same(q.map((x) => x.external_id), ['1101', '1102', '1103']);
  t.equal(q[0]!.errors[0]!.code, 'NIK_INVALID_FORMAT');
  t.equal(q[1]!.errors[0]!.code, 'DATE_INVALID');
  t.equal(q[2]!.errors[0]!.code, 'CODE_UNKNOWN');
  t.equal(q[0]!.village_code, '1812012002');
  t.equal(q[0]!.payload.fullName, rowsIn[1]!.nama, 'the raw row is kept');
  const dmy = (await residents()).find((r) => r.local_id === '1104')!;
  t.equal(dmy.birth_date, '1985-08-15', 'd-m-Y dates are read');
  t.equal(dmy.nik, null, 'an OpenSID temporary NIK is no NIK');
});

t.test('a row of a village outside the token\'s scope refuses the file with OpenDK\'s wording', async (t) => {
  const before = await count('select count(*)::int as n from resident_records');
  const other = await upload(pendudukZip([pendudukRow(200, DESA), pendudukRow(201, '18.12.05.2006')]));
  t.equal(other.status, 400);
  t.match(other.body, { status: 'danger', message: /^Kode desa 18\.12\.05\.2006 tidak terdaftar di kecamatan/, code: 'VILLAGE_OUT_OF_SCOPE' });
  const villageOnly = await upload(pendudukZip([pendudukRow(202, '18.12.01.2003')]), villageToken);
  t.equal(villageOnly.status, 400, 'a village token covers its own village only');
  const unknown = await upload(pendudukZip([pendudukRow(203, '18.12.01.2999')]));
  t.match(unknown.body, { status: 'danger', message: /Kode desa 18\.12\.01\.2999 tidak terdaftar/ });
  t.equal(await count('select count(*)::int as n from resident_records'), before, 'nothing of a refused file is stored');
  const own = await upload(pendudukZip([pendudukRow(204, DESA)]), villageToken);
  t.equal(own.status, 200);
});

t.test('a deletion payload marks the records deleted; sending it again changes nothing', async (t) => {
  const body = { hapus_penduduk: [{ desa_id: DESA, id_pend_desa: 1001, foto: 'a.jpg' }, { desa_id: DESA, id_pend_desa: '1002', foto: '' }, { desa_id: DESA, id_pend_desa: 99999, foto: '' }] };
  const res = await send('/penduduk', kecToken, body);
  t.equal(res.status, 200);
  t.match({ status: res.body.status, message: res.body.message }, { status: 'danger', message: /Penghapusan: 2 penduduk ditandai terhapus, 1 sudah terhapus sebelumnya atau tidak dikenal\.$/ },
    'no upload came before it, which the admin is told');
  t.match(res.body, { dihapus: 2, tidak_dikenal: 1 });
  const gone = (await residents()).filter((r) => ['1001', '1002'].includes(r.local_id));
  t.same(gone.map((g) => g.state), ['deleted', 'deleted']);
  const again = await send('/penduduk', kecToken, body);
  t.match(again.body, { dihapus: 0, tidak_dikenal: 3 });
  const outside = await send('/penduduk', kecToken, { hapus_penduduk: [{ desa_id: '18.12.05.2006', id_pend_desa: 1 }] });
  t.equal(outside.status, 400);
  t.match(outside.body.message, /^Kode desa 18\.12\.05\.2006 tidak terdaftar di kecamatan/);
  const malformed = await send('/penduduk', kecToken, { hapus_penduduk: [{ desa_id: DESA }] });
  t.equal(malformed.status, 422, 'as Laravel answers a request that fails validation');
  t.match(malformed.body, { status: 'danger', message: 'Kolom id_pend_desa wajib diisi.', code: 'FIELD_REQUIRED' });
});

t.test('tokens are checked the way OpenDK checks them', async (t) => {
  const none = await send('/test', null, undefined, 'GET');
  t.equal(none.status, 401);
  t.match(none.body, { status: 'danger', message: /^Unauthenticated\. Token OpenDK belum diisi/ });
  const unknown = await send('/test', 'tho_not_a_token', undefined, 'GET');
  t.equal(unknown.status, 401);
  t.match(unknown.body, { error: 'Token not registered', message: String });
  const wrongRole = await send('/test', villageApiKey, undefined, 'GET');
  t.equal(wrongRole.status, 401, 'a push API key is not an OpenDK token');
  const ok = await send('/test', kecToken, undefined, 'GET');
  t.match(ok, { status: 200, body: { status: 'success' } });
});

t.test('identitas-desa and the other calls of a sync are answered in OpenDK\'s shape', async (t) => {
  const form = new URLSearchParams({ kode_desa: DESA, sebutan_desa: 'Tiyuh', website: 'https://panaragan.desa.id', path: '' });
  const res = await send('/identitas-desa', kecToken, form);
  t.same(res.body, { status: 'success', message: 'Proses sinkronisasi identitas desa sudah selesai' });
  const audit = await count(`select count(*)::int as n from audit_log where action = 'opendk.identitas_desa' and target_id = '1812012002'`);
  t.equal(audit, 1);
  const outside = await send('/identitas-desa', kecToken, new URLSearchParams({ kode_desa: '18.12.05.2006' }));
  t.match(outside, { status: 400, body: { status: 'danger', message: /tidak terdaftar di kecamatan/ } });
  const apbdes = await send('/laporan-apbdes', kecToken, { desa_id: DESA, laporan_apbdes: [] });
  t.match(apbdes, { status: 422, body: { status: 'danger', message: /Laporan APBDes/ } });
  const missing = await send('/no-such-thing', kecToken, {});
  t.match(missing, { status: 404, body: { status: 'danger', message: String } });
});

t.test('a broken file is refused whole, each with its reason', async (t) => {
  const before = await count('select count(*)::int as n from inbox');
  const notZip = await upload(strToU8('alamat,nama\nx,y\n'));
  t.match(notZip, { status: 400, body: { status: 'danger', code: 'FILE_NOT_ZIP', message: 'Berkas bukan arsip ZIP.' } });

  const traversal = await upload(zipSync({ '../../etc/penduduk.xlsx': buildXlsx([['id']]) }));
  t.match(traversal, { status: 400, body: { code: 'ZIP_UNSAFE_PATH' } });

  const many: Record<string, Uint8Array> = { 'penduduk.xlsx': buildXlsx([['id']]) };
  for (let i = 0; i < 5001; i++) many[`f${i}.jpg`] = new Uint8Array([i % 256]);
  const tooMany = await upload(zipSync(many, { level: 0 }));
  t.match(tooMany, { status: 413, body: { code: 'ZIP_TOO_MANY_ENTRIES' } });

  // 80 MB of zeros deflate to a few KB: a ZIP bomb, refused before (declared size) and while (budget) inflating.
  const bomb = zipSync({ 'penduduk.xlsx': new Uint8Array(80 * 1024 * 1024) }, { level: 9 });
  t.ok(bomb.length < 200_000);
  t.match(await upload(bomb), { status: 413, body: { code: 'ZIP_TOO_LARGE' } });
  const lying = lieAboutSize(bomb);
  t.match(await upload(lying), { status: 413, body: { code: 'ZIP_TOO_LARGE' } }, 'a forged size header does not help');

  const noXlsx = await upload(zipSync({ 'foto.jpg': new Uint8Array([1, 2, 3]) }));
  t.match(noXlsx, { status: 400, body: { code: 'ZIP_NO_XLSX' } });

  const header = OPENSID_PENDUDUK_HEADER.filter((h) => h !== 'nama');
  const missingColumn = await upload(pendudukZip([pendudukRow(300, DESA)], { header }));
  t.match(missingColumn, { status: 400, body: { code: 'HEADER_MISSING_COLUMN', message: /nama/ } });

  const big = new Uint8Array(5 * 1024 * 1024 + 10);
  t.match(await upload(zipSync({ 'x.jpg': big }, { level: 0 })), { status: 413, body: { status: 'danger', code: 'FILE_TOO_LARGE' } });

  const noFile = await send('/penduduk/storedata', kecToken, new FormData());
  t.equal(noFile.status, 400);
  t.equal(await count('select count(*)::int as n from inbox'), before, 'nothing stored for a refused file');
});

t.test('formula cells are read as their text, never evaluated', async (t) => {
  const row = pendudukRow(400, DESA);
  const cells = OPENSID_PENDUDUK_HEADER.map((h) => (h === 'nama' ? { formula: 'HYPERLINK("http://x.invalid","SITI")', cached: 'SITI' } : row[h]));
  const zip = zipSync({ 'p.xlsx': buildXlsx([[...OPENSID_PENDUDUK_HEADER], cells]) });
  const res = await upload(zip);
  t.equal(res.status, 200);
  const [r] = await rows<{ full_name: string }>(db, sql`select full_name from resident_records where local_id = '1400'`);
  t.equal(r!.full_name, '=HYPERLINK("http://x.invalid","SITI")');
});

/** Rewrites the local header's uncompressed size to 1 byte, as a hostile ZIP would. */
function lieAboutSize(zip: Uint8Array): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  view.setUint32(22, 1, true);
  return out;
}

t.test('tiyuh-hub tokens create prints a working OpenDK token alone on its last line', async (t) => {
  const made = await runCli(th, ['tokens', 'create', '--village', '18.12.01.2002', '--label', 'Panaragan OpenSID']);
  t.equal(made.code, 0, made.stderr);
  const token = made.stdout.trim().split('\n').pop()!;
  t.match(token, /^tho_\S+$/);
  const [row] = await rows<{ role: string; village_code: string }>(db, sql`select role, village_code from api_keys order by id desc limit 1`);
  t.same(row, { role: 'opendk', village_code: '1812012002' });
  t.match(await send('/test', token, undefined, 'GET'), { status: 200, body: { status: 'success' } });
  const kec = await runCli(th, ['tokens', 'create', '--kecamatan', '18.12.01']);
  t.equal(kec.code, 0, kec.stderr);
  t.equal((await runCli(th, ['tokens', 'create', '--kecamatan', '18.12.99'])).code, 2, 'an unknown kecamatan');
  t.equal((await runCli(th, ['tokens', 'create'])).code, 2, 'a scope is required');
});
