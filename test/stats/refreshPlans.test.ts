import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config/load.js';
import { rebuildStats, refreshStats } from '../../src/stats/refresh.js';
import { createTestDatabase } from '../helpers/database.js';
import { seqScans } from '../helpers/scans.js';
import { insertRoutedRegistrations } from './fixtures.js';

// A refresh step reads the registrations, deliveries, facts and open items it names by key, whatever
// the planner's statistics say: with 20,000 of each analyzed, a step of 2,000 planned as a hash join
// read every delivery, fact and open item once per step (a 100,000-registration load: 39 steps).
const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const single = await openDatabase(tdb.url, '', { max: 1 });
t.teardown(() => single.close());
const db = single.db;
const config = loadConfig('config');

const TABLES = ['registrations', 'deliveries', 'stats_registration_facts', 'stats_open_items'];

t.test('a refresh step reads what it names by key, not whole tables', async (t) => {
  const n = 20_000;
  await insertRoutedRegistrations(db, n, 'PLAN');
  await rebuildStats(db, config);
  await db.execute(sql`analyze registrations, deliveries`);
  const [open] = await rows<{ n: number }>(db, sql`select count(*)::int as n from stats_open_items`);
  t.equal(open!.n, n, 'every new item is open after the rebuild');

  // One step's worth of registrations changes: some acknowledged, some answered (no longer open).
  await db.execute(sql`update deliveries set status = 'acked', acked_at = created_at + interval '2 hours' where id % 10 = 0`);
  await db.execute(sql`update deliveries set answer_status = 'selesai', answered_at = now() where id % 10 = 5`);
  const before = await seqScans(db, TABLES);
  const refreshed = await refreshStats(db, config);
  t.ok(refreshed.ran, 'the refresh ran');
  const after = await seqScans(db, TABLES);
  for (const table of TABLES) t.equal(after[table]! - before[table]!, 0, `no sequential scan of ${table}`);

  const [left] = await rows<{ n: number }>(db, sql`select count(*)::int as n from stats_open_items`);
  t.equal(left!.n, n - n / 10, 'the answered items left the open items, the acknowledged stayed');
  const [acked] = await rows<{ n: number }>(db, sql`select count(*)::int as n from stats_registration_facts where acknowledged`);
  t.equal(acked!.n, n / 10, 'the acknowledged registrations\' facts changed');
});
