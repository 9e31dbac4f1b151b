import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config/load.js';
import { rebuildStats } from '../../src/stats/refresh.js';
import { serviceFigures } from '../../src/stats/queries.js';
import { serviceLevelOf } from '../../src/delivery/progress.js';
import type { Scope } from '../../src/access/scope.js';
import { createTestDatabase } from '../helpers/database.js';
import { insertRegistration } from './fixtures.js';

const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const admin: Scope = { role: 'admin', villageCode: null, kecamatanCode: null, agencyCode: null };
const kec05: Scope = { role: 'kecamatan', villageCode: null, kecamatanCode: '181205', agencyCode: null };

// Registrations over six weeks in two kecamatan; some acknowledged, a few answered for good.
let n = 0;
for (const [village, days, ack] of [
  ['1812012002', 1, 30], ['1812012002', 3, null], ['1812012003', 9, 600], ['1812052006', 15, null], ['1812052006', 20, 5],
  ['1812012002', 30, null], ['1812012003', 40, 2000], ['1812052006', 40, null], ['1812012002', 2, null],
] as const) {
  n += 1;
  await insertRegistration(db, { village, externalId: `S${n}`, service: n % 2 ? 'KTP_EL_BARU' : 'KK_BARU', agency: 'disdukcapil', daysAgo: days, ackMinutes: ack });
}
await db.execute(sql`update deliveries set answer_status = 'selesai', answered_at = now() where registration_id in (select id from registrations where external_id in ('S3', 'S7'))`);
await rebuildStats(db, config);

t.test('the services detail is paged; the weekly summary and the agency figures cover every row', async (t) => {
  const first = await serviceFigures(db, config, admin, { limit: 2 });
  const all = await serviceFigures(db, config, admin, { limit: 1000 });
  t.equal(first.items.length, 2);
  t.equal(first.total, all.items.length, 'total counts every detail row');
  t.ok(all.items.length > 2);
  const second = await serviceFigures(db, config, admin, { limit: 2, offset: 2 });
  t.same(second.items, all.items.slice(2, 4), 'offset continues where the page ended');
  const past = await serviceFigures(db, config, admin, { limit: 2, offset: 1000 });
  t.same(past.items, []);
  t.equal(past.total, all.items.length);
  t.equal(first.weekly.reduce((s, w) => s + w.registrations, 0), all.items.reduce((s, i) => s + i.registrations, 0));
  t.equal(first.weekly.reduce((s, w) => s + w.registrations, 0), 9);
});

t.test('open and overdue items equal the agency queue\'s service-level rule, per scope', async (t) => {
  const list = await rows<{ service_code: string; created_at: Date; answer_status: string | null; village_code: string }>(db, sql`
    select g.service_code, d.created_at, d.answer_status, g.village_code from deliveries d join registrations g on g.id = d.registration_id`);
  const expect = (k: string | null) => {
    const mine = list.filter((d) => !k || d.village_code.startsWith(k));
    const open = mine.filter((d) => d.answer_status !== 'selesai' && d.answer_status !== 'ditolak');
    return { open: open.length, overdue: open.filter((d) => serviceLevelOf(config, d.service_code, new Date(d.created_at), d.answer_status).overdue).length };
  };
  const a = await serviceFigures(db, config, admin, {});
  t.match(a.agencies, [{ agencyCode: 'disdukcapil', ...expect(null) }]);
  t.ok(expect(null).overdue > 0 && expect(null).overdue < expect(null).open, 'some items are past their service level, not all');
  const k = await serviceFigures(db, config, kec05, {});
  t.match(k.agencies, [{ agencyCode: 'disdukcapil', ...expect('181205') }]);
  t.ok(k.items.every((i) => i.kecamatanCode === '181205'));
});
