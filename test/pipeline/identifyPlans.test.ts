import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { identifyStage } from '../../src/pipeline/stages/identify.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// An identify batch's statements keep one plan each (generic), where the hub's connections otherwise
// plan every execution: observed in pg_prepared_statements of the one connection the batches ran on.
const th = await startTestHub(t, { workers: false });
const single = await openDatabase(th.db.url, '', { max: 1 });
t.teardown(() => single.close());
const ctx = { ...th.hub.ctx, db: single.db };

interface Prepared { statement: string; generic_plans: number; custom_plans: number }
const prepared = () => rows<Prepared>(single.db, sql`
  select statement, generic_plans::int, custom_plans::int from pg_prepared_statements where statement not like '%pg_prepared_statements%'`);

let serial = 0;
async function register(i: number): Promise<number> {
  const a = applicant(300 + 41 * i, { villageCode: PANARAGAN });
  const [r] = await rows<{ id: number }>(single.db, sql`
    insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status)
    values (${PANARAGAN}, ${`plan-${++serial}`}, 'KTP_EL_BARU', now(), ${JSON.stringify(a)}::jsonb, 'validated') returning id`);
  return r!.id;
}

t.test('identify batches reuse one plan per statement; the connection plans anew outside them', async (t) => {
  const resolver = new EngineResolver();
  const batches = 8;
  for (let i = 0; i < batches; i++) await identifyStage(ctx, [await register(i)], 'registration', resolver);
  const [routed] = await rows<{ n: number }>(single.db, sql`select count(*)::int as n from registrations where status = 'routed' and external_id like 'plan-%'`);
  t.equal(routed!.n, batches, 'every registration identified and routed');

  const list = await prepared();
  const write = list.find((p) => p.statement.includes('insert into citizen_records'));
  t.ok(write, 'the identify write is a prepared statement');
  t.equal(write!.custom_plans, 0, 'the write is never planned for its values');
  t.ok(write!.generic_plans >= batches, `the write ran ${batches} times on its one plan (${write!.generic_plans})`);
  const changes = list.find((p) => p.statement.includes('max(moved_seq)'));
  t.same([changes?.custom_plans, changes?.generic_plans], [0, batches], 'the look at what changed since the last batch, once per batch, on one plan');
  const locking = list.find((p) => p.statement.includes('cross join lateral') && p.statement.includes('for update'));
  t.equal(locking?.custom_plans, 0, 'the records\' locking read too');

  // The setting was local to each batch: a statement after them is planned for its values again.
  const status = (s: string) => rows<{ n: number }>(single.db, sql`select count(*)::int as n from registrations where status = ${s}`);
  await status('routed');
  await status('validated');
  const after = (await prepared()).find((p) => p.statement.includes('from registrations where status = $1'));
  t.same([after?.custom_plans, after?.generic_plans], [2, 0], 'outside identify, plans are custom as the connection is set');
});
