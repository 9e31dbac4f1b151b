import t from 'tap';
import { startConsole } from './browser.js';
import { createKey } from '../../src/api/keys.js';
import { PANARAGAN } from '../helpers/fixtures.js';

t.test('a key used through the API shows its last use on Pengguna, kunci dan token', async (t) => {
  const h = await startConsole(t);
  const db = h.th.hub.database.db;
  const key = await createKey(db, { role: 'village', villageCode: PANARAGAN, label: 'OpenSID Panaragan' });
  await createKey(db, { role: 'opendk', kecamatanCode: '181201', label: 'OpenDK TBT' });
  const page = await h.signedIn(await h.user({ username: 'admin.kab', fullName: 'Admin Kabupaten', role: 'admin' }));
  const lastUseOf = async (label: string) => {
    await page.goto('/pengguna');
    const row = page.getByRole('row').filter({ hasText: label });
    const headers = await page.locator('table').nth(1).locator('thead th').allTextContents();
    return (await row.locator('td').nth(headers.indexOf('Terakhir dipakai')).textContent())?.trim();
  };
  t.equal(await lastUseOf('OpenSID Panaragan'), 'belum pernah');

  const res = await fetch(`${h.th.url}/v1/quarantine`, { headers: { authorization: `Bearer ${key.secret}` } });
  t.equal(res.status, 200);
  t.match(await lastUseOf('OpenSID Panaragan'), /^\d{1,2} \p{L}+ \d{4} pukul \d{2}[.:]\d{2}$/u, 'the use shows with its date and time');
  t.equal(await lastUseOf('OpenDK TBT'), 'belum pernah', 'a token not used still says so');
});
