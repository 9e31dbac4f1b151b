import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { PANARAGAN } from '../helpers/fixtures.js';
import { openPossibleCase, samePersonTwice } from '../pipeline/review/fixtures/reviewCase.js';
import { axeViolations, startConsole } from './browser.js';

const h = await startConsole(t);
const db = h.th.hub.database.db;
const villageKey = await h.th.key('village', { villageCode: PANARAGAN });
// One case in kecamatan 18.12.05 (the new record's village is Mulya Jaya there), one in 18.12.01.
const c05 = await openPossibleCase(h.th, { villageKey, ...samePersonTwice(31) });
const c01 = await openPossibleCase(h.th, { villageKey, ...samePersonTwice(32, PANARAGAN) });
const rina = await h.user({ username: 'rina', fullName: 'Rina Marlina', role: 'kecamatan', region: '18.12.05' });
const joko = await h.user({ username: 'joko', fullName: 'Joko Susilo', role: 'kecamatan', region: '18.12.05' });

t.test('kecamatan staff see their own kecamatan\'s queue and are refused another\'s case by URL', async (t) => {
  const page = await h.signedIn(rina);
  await page.goto('/kasus');
  t.same(await axeViolations(page), []);
  t.ok(await page.getByRole('link', { name: `#${c05.caseId}` }).isVisible(), 'its case is listed');
  t.equal(await page.getByRole('link', { name: `#${c01.caseId}` }).count(), 0, 'the other kecamatan\'s case is not');
  const res = await page.goto(`/kasus/${c01.caseId}`);
  t.equal(res?.status(), 404);
  t.ok(await page.getByText('Kasus tinjauan tidak ditemukan atau di luar wilayah Anda.').isVisible());
  t.equal((await page.goto('/kasus?desa=1812012002'))?.status(), 403, 'a village of another kecamatan as filter is refused');
});

t.test('a case shows both records side by side, differences marked, the evidence in words; the read is audited', async (t) => {
  const page = await h.signedIn(rina);
  await page.goto('/kasus');
  await page.getByRole('link', { name: `#${c05.caseId}` }).click();
  t.ok(await page.getByRole('heading', { name: `Kasus tinjauan #${c05.caseId}` }).isVisible());
  t.same(await axeViolations(page), []);
  const nik = page.locator('tr', { has: page.getByRole('rowheader', { name: 'NIK', exact: true }) });
  t.equal(await nik.getAttribute('class'), 'diff', 'the transposed NIK is highlighted');
  t.match(await nik.innerText(), /berbeda/);
  const sex = page.locator('tr', { has: page.getByRole('rowheader', { name: 'Jenis kelamin' }) });
  t.equal(await sex.getAttribute('class'), null, 'equal fields are not');
  t.match(await sex.innerText(), /Laki-laki/);
  t.ok(await page.locator('ul.reasons li').count() > 0, 'the engine explains itself');
  t.match(await page.locator('table').first().innerText(), /\d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember) \d{4}/, 'dates in Indonesian');
  const [read] = await rows<{ user_id: number; actor: string }>(db, sql`
    select user_id, actor from audit_log where action = 'review.read' and target_id = ${String(c05.caseId)} order by id desc limit 1`);
  t.match(read, { actor: 'staf:rina', user_id: Number });
});

t.test('two staff open the same case: the first decides, the second sees who did and changes nothing', async (t) => {
  const first = await h.signedIn(rina);
  const second = await h.signedIn(joko);
  await first.goto(`/kasus/${c05.caseId}`);
  await second.goto(`/kasus/${c05.caseId}`);

  // Without a reason nothing is decided (the browser asks first; the server refuses too).
  await first.getByLabel('Alasan (wajib, 3–500 karakter)').fill('  ');
  await first.locator('form[action$="/putusan"]').evaluate((f) => (f as unknown as { noValidate: boolean }).noValidate = true);
  await first.getByRole('button', { name: 'Sama (gabungkan)' }).click();
  t.ok(await first.getByText('Alasan keputusan wajib diisi').isVisible());

  await first.getByLabel('Alasan (wajib, 3–500 karakter)').fill('NIK tertukar dua digit; nama ibu dan tanggal lahir sama');
  await first.getByRole('button', { name: 'Sama (gabungkan)' }).click();
  t.ok(await first.getByText('Tersimpan: kedua catatan adalah orang yang sama').isVisible());

  await second.getByLabel('Alasan (wajib, 3–500 karakter)').fill('Menurut saya berbeda');
  await second.getByRole('button', { name: 'Berbeda' }).click();
  t.ok(await second.getByText('Kasus ini sudah diputuskan petugas lain sebelum Anda').isVisible());
  t.match(await second.getByRole('status').last().innerText(), /Diputuskan Sama \(digabung\) oleh staf:rina/);

  const [c] = await rows<{ status: string; decided_by: string }>(db, sql`select status, decided_by from review_cases where id = ${c05.caseId}`);
  t.same(c, { status: 'same', decided_by: 'staf:rina' });
  const decided = await rows<{ action: string; user_id: number }>(db, sql`
    select action, user_id from audit_log where target_type = 'review_cases' and target_id = ${String(c05.caseId)} and action like 'review.%' and action <> 'review.read'`);
  t.equal(decided.length, 1);
  t.match(decided[0], { action: 'review.same', user_id: Number });

  // The merge can be undone with a reason; the case opens again.
  await first.getByLabel('Alasan memisahkan (wajib)').fill('Salah gabung: ibu kandung berbeda');
  await first.getByRole('button', { name: 'Pisahkan' }).click();
  t.ok(await first.getByText('Penggabungan dipisahkan; kasus terbuka kembali.').isVisible());
});
