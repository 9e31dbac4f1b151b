import t from 'tap';
import { axeViolations, login, startConsole } from './browser.js';
import { createUser } from '../../src/staff/users.js';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';

t.test('a browser without a session gets the login page at /, in Indonesian, accessible', async (t) => {
  const h = await startConsole(t);
  const page = await (await h.context()).newPage();
  const res = await page.goto('/');
  t.equal(res?.status(), 200);
  t.equal(await page.getAttribute('html', 'lang'), 'id');
  t.ok(await page.getByRole('heading', { name: 'Masuk ke Konsol Petugas' }).isVisible());
  t.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
  t.same(await axeViolations(page), []);
  // A page behind the login sends the browser to the login form, and back after it.
  await page.goto('/kasus');
  t.match(page.url(), /\/masuk\?lanjut=%2Fkasus$/);
});

t.test('first login forces a new password; the one-time password then stops working', async (t) => {
  const h = await startConsole(t);
  const db = h.th.hub.database.db;
  const { password } = await createUser(db, h.th.hub.config, { username: 'budi.kec', fullName: 'Budi Santoso', role: 'kecamatan', region: '18.12.01' }, { actor: 'test' });
  const page = await (await h.context()).newPage();
  await login(page, 'budi.kec', password);
  t.match(page.url(), /\/kata-sandi$/);
  t.ok(await page.getByText('Ini login pertama Anda').isVisible());
  t.same(await axeViolations(page), []);
  // Any other page waits until the password is changed.
  await page.goto('/');
  t.match(page.url(), /\/kata-sandi$/);
  await page.getByLabel('Kata sandi saat ini').fill(password);
  await page.getByLabel('Kata sandi baru', { exact: true }).fill('aaaaaaaaaaaa');
  await page.getByLabel('Ulangi kata sandi baru').fill('aaaaaaaaaaaa');
  await page.locator('form[action="/kata-sandi"] button').click();
  t.ok(await page.getByText('Kata sandi baru terlalu mudah ditebak').isVisible(), 'the server says why a weak password is refused');
  await page.getByLabel('Kata sandi saat ini').fill(password);
  await page.getByLabel('Kata sandi baru', { exact: true }).fill('Lada-Hitam-Tubaba-7');
  await page.getByLabel('Ulangi kata sandi baru').fill('Lada-Hitam-Tubaba-7');
  await page.locator('form[action="/kata-sandi"] button').click();
  t.match(page.url(), /\/\?pesan=sandi$/);
  t.ok(await page.getByRole('heading', { name: 'Beranda' }).isVisible());
  t.ok(await page.getByText('Petugas kecamatan · Tulang Bawang Tengah').isVisible(), 'the header names the role and kecamatan');

  const [hash] = await rows<{ password_hash: string; must_change_password: boolean }>(db, sql`select password_hash, must_change_password from staff_users where username = 'budi.kec'`);
  t.match(hash!.password_hash, /^\$argon2id\$/);
  t.equal(hash!.must_change_password, false);

  const other = await (await h.context()).newPage();
  await login(other, 'budi.kec', password);
  t.ok(await other.getByText('Nama pengguna atau kata sandi salah.').isVisible());
  await login(other, 'budi.kec', 'Lada-Hitam-Tubaba-7');
  t.ok(await other.getByRole('heading', { name: 'Beranda' }).isVisible());

  // The session cookie cannot be read by scripts and is not sent cross-site.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'tiyuh_sesi');
  t.equal(cookie?.httpOnly, true);
  t.equal(cookie?.sameSite, 'Lax');

  // Logging out ends the session on the server: the old cookie no longer opens a page.
  await page.getByRole('button', { name: 'Keluar' }).click();
  t.match(page.url(), /\/masuk\?pesan=keluar$/);
  const replay = await other.context().request.get('/', { headers: { cookie: `tiyuh_sesi=${cookie!.value}` } });
  t.match(await replay.text(), /Masuk ke Konsol Petugas/);
});

t.test('repeated wrong passwords lock the account with a clear message, even for the right password', async (t) => {
  const h = await startConsole(t);
  const u = await h.user({ username: 'sari.tiyuh', fullName: 'Sari Dewi', role: 'tiyuh', region: '18.12.01.2002' });
  const page = await (await h.context()).newPage();
  for (let i = 1; i <= 4; i++) {
    await login(page, u.username, 'salah-sekali');
    t.ok(await page.getByText('Nama pengguna atau kata sandi salah.').isVisible(), `attempt ${i} refused`);
  }
  t.ok(await page.getByText('Sisa 1 kali percobaan').isVisible(), 'the last try is announced');
  await login(page, u.username, 'salah-sekali');
  t.ok(await page.getByText('Akun ini dikunci sementara karena kata sandi salah berulang kali.').isVisible());
  await login(page, u.username, u.password);
  t.ok(await page.getByText('Akun ini dikunci sementara').isVisible(), 'the right password does not open a locked account');
  t.notOk(await page.getByRole('heading', { name: 'Beranda' }).isVisible());
  const [audit] = await rows<{ n: number }>(h.th.hub.database.db, sql`select count(*)::int as n from audit_log where action = 'login.locked' and user_id is not null`);
  t.equal(audit!.n, 1, 'the lock is audited with the user');
});

t.test('a post without the CSRF token is refused and changes nothing', async (t) => {
  const h = await startConsole(t);
  const u = await h.user({ username: 'andi.admin', fullName: 'Andi', role: 'admin' });
  const page = await h.signedIn(u);
  t.ok(await page.getByRole('heading', { name: 'Beranda' }).isVisible());
  // The same logout form, its token removed: the server refuses and the session lives on.
  await page.locator('form[action="/keluar"] input[name=_csrf]').evaluate((el) => (el as unknown as { remove(): void }).remove());
  await page.getByRole('button', { name: 'Keluar' }).click();
  t.ok(await page.getByText('Formulir ini sudah kedaluwarsa atau tidak sah').isVisible());
  await page.goto('/');
  t.ok(await page.getByRole('heading', { name: 'Beranda' }).isVisible(), 'still signed in');
  const res = await page.context().request.post('/keluar', { form: { _csrf: 'palsu' }, maxRedirects: 0 });
  t.equal(res.status(), 403);
});
