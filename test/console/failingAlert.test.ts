import t from 'tap';
import { sql } from 'drizzle-orm';
import { startConsole } from './browser.js';
import { pushRouted } from '../pipeline/review/fixtures/reviewCase.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { REDRIVE_CAP } from '../../src/pipeline/backlog.js';

t.test('records a stage keeps failing on are an alert on the admin\'s Beranda, linking to Pipeline; not for a kecamatan', async (t) => {
  const h = await startConsole(t);
  const db = h.th.hub.database.db;
  const admin = await h.signedIn(await h.user({ username: 'admin.kab', fullName: 'Admin Kabupaten', role: 'admin' }));
  const kec = await h.signedIn(await h.user({ username: 'petugas.tbt', fullName: 'Petugas TBT', role: 'kecamatan', region: '18.12.01' }));
  await admin.goto('/');
  t.equal(await admin.getByRole('alert').count(), 0, 'no alert while nothing keeps failing');

  const key = await h.th.key('village', { villageCode: PANARAGAN });
  const r = await pushRouted(h.th, key, applicant(7, { fullName: 'Dewi Lestari', villageCode: PANARAGAN }));
  // As the recovery sweep leaves a record it re-drove REDRIVE_CAP times (it now waits an hour between tries).
  await db.execute(sql`update registrations set status = 'identified', redrives = ${REDRIVE_CAP}, updated_at = now() where id = ${r.id}`);

  await admin.goto('/');
  const alert = admin.getByRole('alert');
  t.match(await alert.textContent(), /1 data terus gagal diproses/);
  await alert.getByRole('link').click();
  t.match(admin.url(), /\/pipeline$/);
  t.match(await admin.locator('dl').textContent(), /Data yang terus gagal diproses\s*1/);

  await kec.goto('/');
  t.ok(await kec.getByRole('heading', { name: 'Beranda' }).isVisible());
  t.equal(await kec.getByRole('alert').count(), 0, 'a kecamatan user is not shown the kabupaten\'s pipeline');
});
