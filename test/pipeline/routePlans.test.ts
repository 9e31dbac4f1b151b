import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { routeStage } from '../../src/pipeline/stages/route.js';
import { startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';
import { seqScans } from '../helpers/scans.js';

// The route stage writes the registrations it routes by key, whatever the planner's statistics say: a
// join to a list of 2,000 ids could be planned as a hash of every registration, once per route job.
const th = await startTestHub(t, { workers: false });
const single = await openDatabase(th.db.url, '', { max: 1 });
t.teardown(() => single.close());
const db = single.db;
const ctx = { ...th.hub.ctx, db };

t.test('a route job of 3,000 registrations reads and writes them by key among 23,000', async (t) => {
  const insert = (status: string, n: number, service: string, identity = 'confirmed') => rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, applicant, status, identity)
    select ${PANARAGAN}, ${`${status}-${service}`}::text || '-' || i, ${service}::text, '{}'::jsonb, ${status}::text, ${identity}::text
    from generate_series(1, ${n}::int) i returning id`);
  await insert('routed', 20_000, 'KTP_EL_BARU');
  // Identified and not routed: their service had left the catalogue, now it is back.
  const ids = (await insert('identified', 2_000, 'KTP_EL_BARU')).map((r) => r.id);
  // Possibly a second identity of someone, for a service that waits for the review: held.
  const held = (await insert('identified', 1_000, 'REKOMENDASI_SKTM', 'provisional')).map((r) => r.id);
  await db.execute(sql`analyze registrations, deliveries`);

  const before = await seqScans(db, ['registrations', 'deliveries']);
  const done = await routeStage(ctx, [...ids, ...held]);
  t.equal(done.routed.length, ids.length, 'every confirmed registration routed');
  t.equal(done.held.length, held.length, 'every provisional one held');
  const after = await seqScans(db, ['registrations', 'deliveries']);
  t.equal(after.registrations! - before.registrations!, 0, 'no sequential scan of registrations');
  t.equal(after.deliveries! - before.deliveries!, 0, 'no sequential scan of deliveries');
  const [r] = await rows<{ routed: number; deliveries: number }>(db, sql`
    select count(*) filter (where status = 'routed' and route_agency is not null)::int as routed,
      (select count(*)::int from deliveries where registration_id = any(${arrayParam(ids, 'int')})) as deliveries
    from registrations where id = any(${arrayParam(ids, 'int')})`);
  t.same(r, { routed: ids.length, deliveries: ids.length }, 'each routed once, with its delivery');
  const [h] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where status = 'held' and id = any(${arrayParam(held, 'int')})`);
  t.equal(h!.n, held.length, 'the held ones wait for their review');
});
