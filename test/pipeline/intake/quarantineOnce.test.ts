import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { quarantineOnce } from '../../../src/pipeline/intake/quarantineOnce.js';
import { createTestDatabase } from '../../helpers/database.js';
import { PANARAGAN } from '../../helpers/fixtures.js';

// A rejected record finds its open quarantine entry among many of its village by the payload's md5
// (quarantine_open_payload_idx), on a table never analyzed, and only an equal payload is "the same".
const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const { db } = tdb.database;

const error = [{ code: 'SERVICE_UNKNOWN', field: 'service' }];
const [inbox] = await rows<{ id: number }>(db, sql`
  insert into inbox (channel, kind, village_code, record_count, payload) values ('push', 'registration', ${PANARAGAN}, 1, '{}'::jsonb) returning id`);
// 3,000 open entries of one village, every one with externalId 'x' (the old lookup read them all).
await db.execute(sql`
  insert into quarantine (inbox_id, kind, village_code, external_id, payload, errors)
  select ${inbox!.id}, 'registration', ${PANARAGAN}, 'x', jsonb_build_object('externalId', 'x', 'service', 'S' || g, 'n', g), ${JSON.stringify(error)}::jsonb
  from generate_series(1, 3000) g`);
const [known] = await rows<{ id: number }>(db, sql`select id from quarantine where payload->>'n' = '1234'`);

t.test('an equal payload (keys in another order) finds its entry; another payload of the same externalId is a new one', async (t) => {
  // Rows read from quarantine by sequential scan or through any of its indexes, as this backend counts
  // them (counts not yet flushed carry over from earlier statements: read before and after).
  const reads = async (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => (await rows<{ n: number }>(tx, sql`
    select (pg_stat_get_xact_tuples_returned('quarantine'::regclass)
      + (select coalesce(sum(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0) from pg_index i where i.indrelid = 'quarantine'::regclass))::int as n`))[0]!.n;
  const out = await db.transaction(async (tx) => {
    const before = await reads(tx);
    const ids = await quarantineOnce(tx, inbox!.id, 'registration', [
      { villageCode: PANARAGAN, externalId: 'x', payload: { n: 1234, service: 'S1234', externalId: 'x' }, errors: error as never },
      { villageCode: PANARAGAN, externalId: 'x', payload: { externalId: 'x', service: 'S1234', n: 99999 }, errors: error as never },
      { villageCode: '1812012003', externalId: 'x', payload: { externalId: 'x', service: 'S1234', n: 1234 }, errors: error as never },
    ]);
    return { ids, read: (await reads(tx)) - before };
  });
  t.equal(out.ids[0], known!.id, 'the resend finds the open entry');
  t.not(out.ids[1], known!.id);
  t.not(out.ids[2], known!.id, 'the same payload from another village is its own entry');
  t.not(out.ids[1], out.ids[2]);
  t.ok(out.read < 50, `read ${out.read} entries: the matching ones, not the village's 3,000 open entries`);
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine`);
  t.equal(n!.n, 3002);
});

t.test('an entry no longer open is not found again', async (t) => {
  await db.execute(sql`update quarantine set status = 'replayed' where id = ${known!.id}`);
  const [id] = await db.transaction((tx) => quarantineOnce(tx, inbox!.id, 'registration', [
    { villageCode: PANARAGAN, externalId: 'x', payload: { externalId: 'x', service: 'S1234', n: 1234 }, errors: error as never },
  ]));
  t.not(id, known!.id);
});
