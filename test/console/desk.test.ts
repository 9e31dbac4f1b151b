import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';
import { pushRouted } from '../pipeline/review/fixtures/reviewCase.js';
import { axeViolations, startConsole } from './browser.js';

const h = await startConsole(t);
const db = h.th.hub.database.db;
const panaragan = await h.th.key('village', { villageCode: PANARAGAN });
const mulyaJaya = await h.th.key('village', { villageCode: MULYA_JAYA_05 });

async function push(key: string, path: string, body: unknown) {
  const res = await fetch(`${h.th.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json() as Promise<{ records: Array<{ id?: number; quarantineId?: number }> }>;
}

// A citizen of Panaragan (18.12.01) and one of Mulya Jaya (18.12.05), both routed to disdukcapil.
const siti = applicant(1, { fullName: 'Siti Rahmawati', villageCode: PANARAGAN });
const other = applicant(2, { fullName: 'Wayan Sudarma', villageCode: MULYA_JAYA_05 });
const sitiReg = await pushRouted(h.th, panaragan, siti);
const otherReg = await pushRouted(h.th, mulyaJaya, other);

const kec01 = await h.user({ username: 'dewi', fullName: 'Dewi Lestari', role: 'kecamatan', region: '18.12.01' });
const operator = await h.user({ username: 'op.panaragan', fullName: 'Operator Panaragan', role: 'tiyuh', region: '18.12.01.2002' });
const desk = await h.user({ username: 'meja.dukcapil', fullName: 'Meja Dukcapil', role: 'instansi', agency: 'disdukcapil' });

t.test('Warga: search within the kecamatan, the golden record with its sources, audited; another kecamatan\'s citizen is refused by URL', async (t) => {
  const page = await h.signedIn(kec01);
  await page.goto('/warga');
  t.same(await axeViolations(page), []);
  await page.getByLabel('NIK, No. KK, atau nama').fill(siti.nik!);
  await page.getByRole('button', { name: 'Cari' }).click();
  await page.getByRole('link', { name: `#${sitiReg.citizen}` }).click();
  t.ok(await page.getByRole('heading', { name: `Warga #${sitiReg.citizen}: Siti Rahmawati` }).isVisible());
  t.ok(await page.getByText(`Pendaftaran #${sitiReg.id}`).isVisible(), 'its source record is listed');
  t.same(await axeViolations(page), []);

  await page.getByRole('link', { name: 'Warga', exact: true }).click();
  await page.getByLabel('NIK, No. KK, atau nama').fill('rahma');
  await page.getByRole('button', { name: 'Cari' }).click();
  t.ok(await page.getByRole('link', { name: `#${sitiReg.citizen}` }).isVisible(), 'a later part of the name finds her too');
  t.notOk(await page.getByText('Tidak ada warga yang cocok').isVisible());

  await page.getByRole('link', { name: 'Warga', exact: true }).click();
  await page.getByLabel('NIK, No. KK, atau nama').fill('wayan');
  await page.getByRole('button', { name: 'Cari' }).click();
  t.ok(await page.getByText('Tidak ada warga yang cocok di wilayah Anda.').isVisible(), 'another kecamatan\'s citizen is not found by name');
  const res = await page.goto(`/warga/${otherReg.citizen}`);
  t.equal(res?.status(), 404, 'nor by tampering with the URL');
  t.ok(await page.getByText('Warga tidak ditemukan atau di luar wilayah Anda.').isVisible());

  const reads = await rows<{ action: string; target_id: string | null; user_id: number }>(db, sql`
    select action, target_id, user_id from audit_log where actor = 'staf:dewi' and action like 'citizen.%' order by id`);
  t.match(reads, [{ action: 'citizen.search' }, { action: 'citizen.read', target_id: String(sitiReg.citizen), user_id: Number }, { action: 'citizen.search' }, { action: 'citizen.search' }]);
});

t.test('Karantina: the tiyuh operator reads the error in words, corrects the field and replays', async (t) => {
  const pushed = await push(panaragan, '/v1/residents', {
    residents: [{ localId: 901, nik: siti.nik, fullName: 'Siti Rahmawati', sex: 'F', birthDate: '1990-13-01', motherName: 'Sumarni' }],
  });
  const qid = pushed.records[0]!.quarantineId!;
  await push(mulyaJaya, '/v1/residents', { residents: [{ localId: 902, fullName: 'Lain Kecamatan', birthDate: '1990-13-01' }] });
  const page = await h.signedIn(operator);
  await page.goto('/karantina');
  t.same(await axeViolations(page), []);
  t.equal(await page.locator('tbody tr').count(), 1, 'only its own village\'s record');
  t.ok(await page.getByText('Tanggal pada kolom tanggal lahir tidak sah').isVisible(), 'the error in words');
  await page.getByRole('link', { name: `#${qid}` }).click();
  t.same(await axeViolations(page), []);
  const field = page.getByLabel('Tanggal lahir (tttt-bb-hh) (birthDate)', { exact: true });
  t.equal(await field.getAttribute('aria-invalid'), 'true');
  await field.fill('1990-12-01');
  await page.getByRole('button', { name: 'Simpan dan putar ulang' }).click();
  t.ok(await page.getByRole('heading', { name: 'Hasil putar ulang' }).isVisible());
  t.ok(await page.getByText('Diterima', { exact: true }).isVisible());
  const [q] = await rows<{ status: string }>(db, sql`select status from quarantine where id = ${qid}`);
  t.equal(q!.status, 'replayed');
  const [r] = await rows<{ birth_date: string }>(db, sql`select birth_date::text from resident_records where village_code = ${PANARAGAN} and local_id = '901'`);
  t.equal(r!.birth_date, '1990-12-01', 'the corrected record went through intake');
  const [audit] = await rows<{ user_id: number; detail: { corrected: boolean } }>(db, sql`select user_id, detail from audit_log where action = 'quarantine.replay'`);
  t.match(audit, { user_id: Number, detail: { corrected: true } });
  // A corrected post without the CSRF token changes nothing.
  const res = await page.context().request.post(`/karantina/${qid}`, { form: { 'f.birthDate': '1990-12-02' }, maxRedirects: 0 });
  t.equal(res.status(), 403);
});

t.test('Antrean instansi: the desk claims the oldest item, opens the applicant (audited), prints and acknowledges it', async (t) => {
  const page = await h.signedIn(desk);
  await page.goto('/antrean');
  t.same(await axeViolations(page), []);
  const waiting = await rows<{ id: number }>(db, sql`select id from deliveries where agency_code = 'disdukcapil' and status = 'waiting' order by id`);
  t.ok(waiting.length >= 2);
  await page.getByRole('button', { name: 'Ambil item tertua berikutnya' }).click();
  t.ok(await page.getByText('Item sudah Anda ambil').isVisible());
  t.ok(await page.getByRole('heading', { name: `Item antrean #${waiting[0]!.id}` }).isVisible());
  t.ok(await page.getByText('Siti Rahmawati').isVisible(), 'the applicant is shown');
  t.same(await axeViolations(page), []);
  const print = await page.context().newPage();
  await print.goto(`/antrean/${waiting[0]!.id}/cetak`);
  t.ok(await print.getByText('Dinas Kependudukan dan Pencatatan Sipil').isVisible());
  await page.getByRole('button', { name: 'Konfirmasi diterima' }).click();
  t.ok(await page.getByText('Item dikonfirmasi diterima instansi.').isVisible());
  const [d] = await rows<{ status: string }>(db, sql`select status from deliveries where id = ${waiting[0]!.id}`);
  t.equal(d!.status, 'acked');
  const audits = await rows<{ action: string; user_id: number }>(db, sql`
    select action, user_id from audit_log where target_type = 'deliveries' and user_id is not null order by id`);
  t.ok(['agency.claim', 'agency.read', 'agency.ack'].every((a) => audits.some((x) => x.action === a)), 'claim, read and ack audited with the user');
  // An instansi desk has no business with review cases or citizens.
  t.equal((await page.goto('/warga'))?.status(), 403);
});
