/**
 * npm run screenshots: every console page of every role at 1280 and 360 px into screenshots/, on a
 * throw-away hub (own database and Redis prefix) filled by the console tests' fixture; prints each
 * page's first-load weight (all responses: as transferred, compressed, and uncompressed) and the server's time for the page
 * (Server-Timing), so a reviewer can look without starting anything.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { startConsole } from '../test/console/browser.js';
import { pagesOf, seedConsole } from '../test/console/fixtures.js';
import { BOARD_PATH } from '../src/console/board.js';

const out = path.resolve('screenshots');
mkdirSync(out, { recursive: true });
const cleanups: Array<() => unknown> = [];
// The test harness only needs somewhere to register its cleanups.
const t = { teardown: (fn: () => unknown) => cleanups.push(fn) } as unknown as Test;

try {
  const h = await startConsole(t);
  const seed = await seedConsole(h);
  const rowsOut: Array<{ role: string; page: string; kb: number; wireKb: number; serverMs: number }> = [];
  const login = await (await h.context()).newPage();
  await login.setViewportSize({ width: 1280, height: 900 });
  await login.goto('/');
  await login.screenshot({ path: path.join(out, 'masuk-1280.png'), fullPage: true });
  await login.setViewportSize({ width: 360, height: 780 });
  await login.screenshot({ path: path.join(out, 'masuk-360.png'), fullPage: true });
  for (const role of ['admin', 'kecamatan', 'instansi', 'tiyuh'] as const) {
    const signedIn = await h.signedIn(seed.users[role]);
    // The queue board is an admin tool loaded on demand, outside the pages' 150 KB budget: measured apart.
    const extra: Array<[string, string]> = role === 'admin' ? [['papan-antrean', `${BOARD_PATH}/`]] : [];
    for (const [name, p] of [...pagesOf(role, seed), ...extra]) {
      // First load: a fresh profile with this session's cookies and nothing cached.
      const ctx = await h.context();
      await ctx.addCookies(await signedIn.context().cookies());
      const page = await ctx.newPage();
      let bytes = 0;
      let wire = 0;
      let serverMs = 0;
      const pending: Promise<unknown>[] = [];
      page.on('response', (r) => {
        pending.push((async () => {
          const body = await r.body().catch(() => Buffer.alloc(0));
          bytes += body.length + JSON.stringify(r.headers()).length;
          // What crossed the network: the encoded body and the headers as sent.
          const sizes = await r.request().sizes().catch(() => null);
          wire += sizes ? sizes.responseBodySize + sizes.responseHeadersSize : body.length;
        })());
        const timing = /app;dur=([\d.]+)/.exec(r.headers()['server-timing'] ?? '');
        if (timing && r.request().resourceType() === 'document') serverMs = Number(timing[1]);
      });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(p, { waitUntil: 'networkidle' });
      await Promise.all(pending);
      await page.screenshot({ path: path.join(out, `${role}-${name}-1280.png`), fullPage: true });
      rowsOut.push({ role, page: `${name} (${p.split('?')[0]})`, kb: Math.round(bytes / 102.4) / 10, wireKb: Math.round(wire / 102.4) / 10, serverMs });
      await page.setViewportSize({ width: 360, height: 780 });
      await page.screenshot({ path: path.join(out, `${role}-${name}-360.png`), fullPage: true });
      await ctx.close();
    }
  }
  console.log('role       page                                     first load KB: over the wire  uncompressed   server ms');
  for (const r of rowsOut) console.log(`${r.role.padEnd(10)} ${r.page.padEnd(40)} ${String(r.wireKb).padStart(29)} ${String(r.kb).padStart(13)} ${String(r.serverMs).padStart(11)}`);
  const heaviest = rowsOut.filter((r) => !r.page.startsWith('papan-antrean')).reduce((a, b) => (b.wireKb > a.wireKb ? b : a));
  const slowest = rowsOut.reduce((a, b) => (b.serverMs > a.serverMs ? b : a));
  console.log(`\nheaviest over the wire: ${heaviest.page} ${heaviest.wireKb} KB (${heaviest.kb} KB uncompressed); slowest server time: ${slowest.page} ${slowest.serverMs} ms; screenshots in ${out}`);
} finally {
  for (const c of cleanups.reverse()) await c();
}
