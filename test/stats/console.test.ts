import t from 'tap';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { rebuildStats } from '../../src/stats/refresh.js';
import { axeViolations, startConsole } from '../console/browser.js';
import { insertPeople, type TestPerson } from './fixtures.js';

const h = await startConsole(t);
const db = h.th.hub.database.db;
const PANARAGAN = '1812012002';
const MULYA_JAYA_05 = '1812052006';
const today = new Date();
const ymd = (yearsAgo: number) => `${today.getUTCFullYear() - yearsAgo}-${String(today.getUTCMonth() + 1).padStart(2, '0')}-01`;

const person = (i: number, village: string, yearsAgo: number, sex: 'M' | 'F', hamil = false): TestPerson => ({
  golden: { villageCode: village, nik: null, kk: `181201010110${String(i).padStart(4, '0')}`, fullName: `Warga ${i}`, sex, birthDate: ymd(yearsAgo) },
  records: [{ villageCode: village, localId: `P${i}`, nik: null, kk: null, fullName: `Warga ${i}`, sex, birthDate: ymd(yearsAgo), hamil }],
});
await insertPeople(db, [
  ...Array.from({ length: 20 }, (_, i) => person(i, PANARAGAN, 25 + (i % 30), i % 2 ? 'M' : 'F', i === 4)),
  ...Array.from({ length: 6 }, (_, i) => person(100 + i, PANARAGAN, 1 + (i % 3), i % 2 ? 'M' : 'F')),
  ...Array.from({ length: 2 }, (_, i) => person(200 + i, MULYA_JAYA_05, 40, 'F')),
]);
await rebuildStats(db, h.th.hub.config);

const admin = await h.user({ username: 'bupati', fullName: 'Admin Kabupaten', role: 'admin' });
const camat = await h.user({ username: 'camat05', fullName: 'Petugas Kecamatan Lima', role: 'kecamatan', region: '18.12.05' });

t.test('the kabupaten admin answers how many children under five and pregnant women live in a tiyuh, with a chart, and exports it', async (t) => {
  const page = await h.signedIn(admin);
  await page.getByRole('link', { name: 'Statistik' }).click();
  t.ok(await page.getByRole('heading', { name: 'Statistik', level: 1 }).isVisible());
  t.same(await axeViolations(page), []);
  t.match(await page.locator('p.muted').first().innerText(), /Angka per \d{1,2} \w+ \d{4} pukul/, 'the figures say as of when');

  await page.getByLabel('Kecamatan').selectOption('181201');
  await page.getByRole('button', { name: 'Tampilkan' }).click();
  await page.getByLabel('Tiyuh').selectOption(PANARAGAN);
  await page.getByRole('button', { name: 'Tampilkan' }).click();
  t.ok(await page.getByRole('heading', { name: 'Ringkasan: Panaragan' }).isVisible());
  const row = page.locator('#penduduk ~ .table tr', { has: page.getByRole('rowheader', { name: 'Panaragan' }) });
  // 26 residents, 6 under five (4 under two: ages 1 and 2 → born 1 or 2 years ago on the 1st), 1 pregnant.
  const cells = await row.locator('td').allInnerTexts();
  t.same(cells.slice(0, 1), ['26']);
  t.equal(cells[5], '6', 'children 0-59 months');
  t.equal(cells[6], '1', 'pregnant women: the admin sees small counts');
  const chart = page.getByRole('img', { name: 'Piramida penduduk Panaragan' });
  t.ok(await chart.isVisible(), 'the pyramid is drawn');
  t.ok(await chart.locator('rect').count() >= 32);

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#penduduk + p').getByRole('link', { name: 'CSV' }).click()]);
  t.match(download.suggestedFilename(), /^penduduk-per-tiyuh-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync((await download.path())!, 'utf8');
  t.match(text, /^\uFEFFKode tiyuh;Tiyuh;Penduduk \(orang\)/);
  t.match(text, /\r\n1812012002;Panaragan;26;26;0;/);
});

t.test('kecamatan staff see their own tiyuh, small counts protected, and are refused another kecamatan', async (t) => {
  const page = await h.signedIn(camat);
  await page.goto('/statistik');
  t.same(await axeViolations(page), []);
  const names = await page.locator('#penduduk ~ .table tbody th').allInnerTexts();
  t.ok(names.includes('Mulya Jaya') && !names.includes('Panaragan'), 'only tiyuh of 18.12.05');
  const row = page.locator('#penduduk ~ .table tr', { has: page.getByRole('rowheader', { name: 'Mulya Jaya' }) });
  t.equal((await row.locator('td').first().innerText()).trim(), '< 5');
  const res = await page.goto('/statistik?kecamatan=181201');
  t.equal(res?.status(), 403);
  const [audit] = await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action like 'aid.double_enrolment%'`);
  t.equal(audit!.n, 0);
  await page.goto('/statistik/penerima-ganda');
  t.ok(await page.getByText('Tidak ada penerima ganda di wilayah ini.').isVisible());
  const [after] = await rows<{ n: number; user_id: number }>(db, sql`select count(*)::int as n, max(user_id) as user_id from audit_log where action = 'aid.double_enrolment.read'`);
  t.equal(after!.n, 1, 'opening the list of people is audited');
});

t.test('the double-enrolment list is paged: 200 pairs a page, the next page continues, the export holds them all', async (t) => {
  // 205 people of 18.12.05 each enrolled twice in PKH (a village's program and its neighbour's).
  const ids = (await rows<{ id: number }>(db, sql`
    insert into citizens (full_name, sex, birth_date, village_code)
    select 'Penerima ' || i, 'F', date '1980-01-01' + i, ${MULYA_JAYA_05} from generate_series(1, 205) i returning id`)).map((r) => r.id);
  await db.execute(sql`insert into aid_programs (village_code, local_id, name, program_key, active, channel)
    values (${MULYA_JAYA_05}, 'PKH', 'PKH', 'PKH', true, 'push'), ('1812052001', 'PKH', 'PKH', 'PKH', true, 'push')`);
  await db.execute(sql`insert into aid_participants (village_code, local_id, program_local_id, content_hash, citizen_id, link, channel)
    select v, v || '-' || c, 'PKH', md5(v || c)::char(40), c, 'nik', 'push'
    from unnest(${arrayParam(ids, 'int')}) c, unnest(array[${MULYA_JAYA_05}, '1812052001']) v`);
  await rebuildStats(db, h.th.hub.config);
  const page = await h.signedIn(camat);
  await page.goto('/statistik/penerima-ganda');
  t.match(await page.getByText(/^Pasangan/).innerText(), /Pasangan 1–200 dari 205\./);
  t.equal(await page.locator('tbody tr').count(), 200);
  await page.getByRole('link', { name: 'Berikutnya »' }).click();
  t.match(await page.getByText(/^Pasangan/).innerText(), /Pasangan 201–205 dari 205\./);
  t.equal(await page.locator('tbody tr').count(), 5);
  t.ok(await page.getByRole('link', { name: '« Sebelumnya' }).isVisible());
  const csv = await page.request.get('/statistik/unduh/penerima-ganda/csv');
  t.equal((await csv.text()).trim().split('\r\n').length, 1 + 205, 'the export holds every pair');
});
