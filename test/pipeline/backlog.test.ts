import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.js';
import { readBacklog, REDRIVE_CAP } from '../../src/pipeline/backlog.js';
import { createTestDatabase } from '../helpers/database.js';
import { indexReads } from '../helpers/scans.js';

// The backlog (read once a second by intake, and by /metrics) reads the records in flight, not the
// registrations already routed: those have the lowest ids, where a `min(id)` walk of the primary key starts.
const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const single = await openDatabase(tdb.url, '', { max: 1 });
t.teardown(() => single.close());
const db = single.db;

t.test('the backlog: records in flight, the oldest one\'s age and the failing ones, read without the routed ones', async (t) => {
  const empty = await readBacklog(db);
  t.same(empty, { records: 0, oldestSeconds: 0, failing: 0 }, 'nothing in flight');

  // A year of routed registrations, then a village's bulk load still in flight (the newest ids).
  const insert = (status: string, from: number, to: number) => db.execute(sql`
    insert into registrations (village_code, external_id, service_code, applicant, status)
    select '1812012002', ${status}::text || '-' || i, 'KTP_EL_BARU', '{}'::jsonb, ${status}::text from generate_series(${from}::int, ${to}::int) i`);
  await insert('routed', 1, 30_000);
  await insert('validated', 1, 2_000);
  await insert('identified', 2_001, 3_000);
  // The first in flight was accepted ten minutes ago; one keeps failing.
  await db.execute(sql`update registrations set created_at = now() - interval '10 minutes'
    where id = (select min(id) from registrations where status = 'validated')`);
  await db.execute(sql`update registrations set redrives = ${REDRIVE_CAP + 2} where external_id = 'identified-2500'`);
  await db.execute(sql`insert into resident_records (village_code, local_id, full_name, content_hash, channel, status)
    select '1812012002', 'r-' || i, 'WARGA ' || i, repeat('0', 40), 'pull', 'accepted' from generate_series(1, 2) i`);
  await db.execute(sql`analyze registrations, resident_records`);

  const before = await indexReads(db, 'registrations_pkey');
  const backlog = await readBacklog(db);
  const read = (await indexReads(db, 'registrations_pkey')) - before;
  t.equal(backlog.records, 3_002, 'registrations and resident records in flight');
  t.equal(backlog.failing, 1, 'the one re-driven past the cap');
  t.ok(Math.abs(backlog.oldestSeconds - 600) <= 5, `the oldest waits ten minutes (${backlog.oldestSeconds} s)`);
  t.ok(read <= 5, `the primary key gave only the oldest one's row (${read} entries read)`);
});
