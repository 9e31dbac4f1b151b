/** A hub with something on every console page: review cases, quarantine, agency items, a source with runs, users. */
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { claimItems } from '../../src/agency/items.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';
import { openPossibleCase, pushRouted, samePersonTwice } from '../pipeline/review/fixtures/reviewCase.js';
import type { Test } from 'tap';
import { axeViolations, type ConsoleHarness } from './browser.js';

export interface ConsoleSeed {
  caseId: number; citizenId: number; citizenNik: string; quarantineId: number; deliveryId: number; sourceId: string;
  users: Record<'admin' | 'kecamatan' | 'instansi' | 'tiyuh', { username: string; password: string }>;
}

export async function seedConsole(h: ConsoleHarness): Promise<ConsoleSeed> {
  const db = h.th.hub.database.db;
  const panaragan = await h.th.key('village', { villageCode: PANARAGAN });
  const c = await openPossibleCase(h.th, { villageKey: panaragan, ...samePersonTwice(41, PANARAGAN) });
  await openPossibleCase(h.th, { villageKey: panaragan, ...samePersonTwice(42, MULYA_JAYA_05) });
  const a = applicant(5, { fullName: 'Siti Rahmawati', villageCode: PANARAGAN });
  const routed = await pushRouted(h.th, panaragan, a);
  await pushRouted(h.th, panaragan, applicant(6, { fullName: 'Rahmat Hidayat', villageCode: PANARAGAN }));
  const res = await fetch(`${h.th.url}/v1/residents`, {
    method: 'POST', headers: { authorization: `Bearer ${panaragan}`, 'content-type': 'application/json' },
    body: JSON.stringify({ residents: [{ localId: 'q1', nik: '1812011203900001', fullName: 'Ahmad Fauzi', birthDate: '1990-13-01', religion: 12 }] }),
  });
  const quarantineId = ((await res.json()) as { records: { quarantineId: number }[] }).records[0]!.quarantineId;
  const [delivery] = await rows<{ id: number }>(db, sql`select id from deliveries where registration_id = ${routed.id}`);
  // Taken by the desk, so its applicant and print view show.
  await claimItems(db, { agency: 'disdukcapil', kecamatan: null }, { max: 1, leaseSeconds: 3600, ids: [delivery!.id] }, { actor: 'test' });
  const sourceId = `tiyuh-${PANARAGAN}`;
  // A village source as config/sources.json would mirror it, with a success then a failure.
  await db.execute(sql`insert into sources (id, name, village_code, kecamatan_code, connector, enabled, schedule, last_success_at, last_error)
    values (${sourceId}, 'OpenSID Tiyuh Panaragan', ${PANARAGAN}, '181201', 'opensid-api', false, '*/15 * * * *', now() - interval '30 hours', 'NETWORK: server desa tidak menjawab')`);
  await db.execute(sql`insert into sync_runs (source_id, trigger, status, started_at, finished_at, pages, records_accepted, records_quarantined, error)
    values (${sourceId}, 'schedule', 'succeeded', now() - interval '30 hours', now() - interval '30 hours', 3, 1200, 4, null),
           (${sourceId}, 'schedule', 'failed', now() - interval '1 hour', now() - interval '1 hour', 0, 0, 0, 'NETWORK: server desa tidak menjawab')`);
  const users = {
    admin: await h.user({ username: 'admin.kab', fullName: 'Admin Kabupaten', role: 'admin' }),
    kecamatan: await h.user({ username: 'petugas.tbt', fullName: 'Petugas Tulang Bawang Tengah', role: 'kecamatan', region: '18.12.01' }),
    instansi: await h.user({ username: 'meja.disdukcapil', fullName: 'Meja Disdukcapil', role: 'instansi', agency: 'disdukcapil' }),
    tiyuh: await h.user({ username: 'operator.panaragan', fullName: 'Operator Panaragan', role: 'tiyuh', region: '18.12.01.2002' }),
  };
  return { caseId: c.caseId, citizenId: routed.citizen, citizenNik: a.nik!, quarantineId, deliveryId: delivery!.id, sourceId, users };
}

/** Every page a role opens, as paths; the agency item is claimed first so its applicant shows. */
export function pagesOf(role: keyof ConsoleSeed['users'], s: ConsoleSeed): Array<[name: string, path: string]> {
  const common: Array<[string, string]> = [['beranda', '/'], ['kata-sandi', '/kata-sandi']];
  switch (role) {
    case 'admin':
      return [...common, ['kasus', '/kasus'], ['kasus-detail', `/kasus/${s.caseId}`], ['warga-cari', `/warga?q=${s.citizenNik}`], ['warga-detail', `/warga/${s.citizenId}`],
        ['karantina', '/karantina'], ['karantina-detail', `/karantina/${s.quarantineId}`], ['sumber', '/sumber'], ['sumber-detail', `/sumber/${s.sourceId}`],
        ['antrean', '/antrean'], ['antrean-detail', `/antrean/${s.deliveryId}`], ['antrean-cetak', `/antrean/${s.deliveryId}/cetak`],
        ['pengguna', '/pengguna'], ['audit', '/audit'], ['pipeline', '/pipeline']];
    case 'kecamatan':
      return [...common, ['kasus', '/kasus'], ['kasus-detail', `/kasus/${s.caseId}`], ['warga-detail', `/warga/${s.citizenId}`], ['karantina', '/karantina'], ['sumber', '/sumber'], ['audit', '/audit']];
    case 'instansi':
      return [...common, ['antrean', '/antrean'], ['antrean-detail', `/antrean/${s.deliveryId}`]];
    case 'tiyuh':
      return [...common, ['karantina', '/karantina'], ['karantina-detail', `/karantina/${s.quarantineId}`], ['warga-cari', '/warga?q=siti']];
  }
}

/** Opens every page of a role at 1280 and 360 px: 200, lang="id", no serious/critical axe violation, no sideways scrolling. */
export async function checkPages(t: Test, h: ConsoleHarness, seed: ConsoleSeed, role: keyof ConsoleSeed['users'], part?: [from: number, to: number]): Promise<void> {
  const page = await h.signedIn(seed.users[role]);
  for (const [name, path] of pagesOf(role, seed).slice(...(part ?? [0]))) {
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      const res = await page.goto(path);
      t.equal(res?.status(), 200, `${name} ${width}px answers 200`);
      t.equal(await page.getAttribute('html', 'lang'), 'id');
      if (width === 1280) t.same(await axeViolations(page), [], `${name}: no serious or critical axe violations`);
      else {
        // Wide tables scroll inside their own box; the page itself never scrolls sideways.
        const overflow = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
        t.ok(overflow <= 360, `${name}: no sideways scrolling at 360 px (${overflow})`);
      }
    }
  }
}
