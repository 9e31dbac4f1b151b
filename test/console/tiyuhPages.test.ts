import t from 'tap';
import { startConsole } from './browser.js';
import { checkPages, seedConsole } from './fixtures.js';

const h = await startConsole(t);
const seed = await seedConsole(h);

t.test('every page of the tiyuh role: Indonesian, accessible, usable at 360 px', (t) => checkPages(t, h, seed, 'tiyuh'));

t.test('each role is refused the pages of others, by URL', async (t) => {
  const cases: Array<[keyof typeof seed.users, string]> = [
    ['instansi', '/kasus'], ['instansi', '/warga'], ['instansi', '/karantina'], ['tiyuh', '/sumber'], ['tiyuh', '/kasus'], ['tiyuh', '/antrean'],
    ['kecamatan', '/pengguna'], ['kecamatan', '/pipeline'], ['kecamatan', '/antrean'],
  ];
  const pages = new Map<string, Awaited<ReturnType<typeof h.signedIn>>>();
  for (const [role, path] of cases) {
    if (!pages.has(role)) pages.set(role, await h.signedIn(seed.users[role]));
    const res = await pages.get(role)!.goto(path);
    t.equal(res?.status(), 403, `${role} may not open ${path}`);
  }
});
