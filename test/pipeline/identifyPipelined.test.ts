import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';
import { identifyStage } from '../../src/pipeline/stages/identify.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN, type TestApplicant } from '../helpers/fixtures.js';

// Identify sends some of a batch's statements together (one round trip): the lock with the records it
// locks, the index's catch-up reads with the vetoes, the watermark with the review cases. Statements
// run in order, so when one fails every one after it fails with "current transaction is aborted": the
// batch must fail with the first failure, the one that says what went wrong, and leave nothing behind.

const SITI = { fullName: 'Siti Nurhaliza', nik: '1812014708900001', kk: '1812010101100001', sex: 'F', birthDate: '1990-08-07', motherName: 'Aminah', address: 'Dusun 2 RT 003', birthPlace: 'Panaragan' };
const MAYBE_SITI = { fullName: 'Siti Nurhalisa', sex: 'F', birthDate: '1990-08-07', nik: '1812014708900005', kk: '1812050101100009', address: 'Jl. Tiyuh 1' };

let serial = 0;
async function register(db: Parameters<typeof rows>[0], a: TestApplicant): Promise<number> {
  const [r] = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status)
    values (${a.villageCode!}, ${`p-${++serial}`}, 'KTP_EL_BARU', now(), ${JSON.stringify(a)}::jsonb, 'validated') returning id`);
  return r!.id;
}

t.test('a failed statement sent with others: the batch fails with its error, and nothing of it stays', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  const ctx = th.hub.ctx;
  const resolver = new EngineResolver();
  t.same((await identifyStage(ctx, [await register(db, applicant(1, { villageCode: PANARAGAN }))], 'registration', resolver)).length, 1, 'a first batch builds the index');

  // The vetoes' read is sent first, the index's catch-up reads after it.
  await db.execute(sql`alter table review_cases rename to review_cases_away`);
  const id = await register(db, applicant(2, { villageCode: PANARAGAN }));
  const err = await identifyStage(ctx, [id], 'registration', resolver).then(() => null, (e: unknown) => e as Error);
  t.match(String((err as { cause?: unknown } | null)?.cause ?? err), /review_cases/, 'the missing table is the error, not the aborted transaction');
  await db.execute(sql`alter table review_cases_away rename to review_cases`);

  // Of the catch-up reads, the parameters' read is sent first.
  await db.execute(sql`alter table identity_parameter_sets rename to identity_parameter_sets_away`);
  const err2 = await identifyStage(ctx, [id], 'registration', resolver).then(() => null, (e: unknown) => e as Error);
  t.match(String((err2 as { cause?: unknown } | null)?.cause ?? err2), /identity_parameter_sets/, 'the parameters\' read fails the batch with its own error');
  await db.execute(sql`alter table identity_parameter_sets_away rename to identity_parameter_sets`);

  // A review case that cannot be stored fails the batch with its own error, though the golden records
  // and the watermark were read after it. Same birth date and NIK region, a near name and a NIK one
  // serial apart: maybe the same Siti, maybe not (a case).
  const siti = await register(db, { ...SITI, villageCode: PANARAGAN } as unknown as TestApplicant);
  t.same(await identifyStage(ctx, [siti], 'registration', resolver), [siti]);
  await db.execute(sql`alter table review_cases add constraint no_cases check (score < -1000) not valid`);
  const maybe = await register(db, { ...MAYBE_SITI, villageCode: '1812052006' } as unknown as TestApplicant);
  // And Siti again, a match: her golden record is read after the case was refused.
  const again = await register(db, { ...SITI, villageCode: '1812052006' } as unknown as TestApplicant);
  const err3 = await identifyStage(ctx, [id, maybe, again], 'registration', resolver).then(() => null, (e: unknown) => e as Error);
  t.match(String((err3 as { cause?: unknown } | null)?.cause ?? err3), /no_cases/, 'the check that refused the case is the error');
  const [left] = await rows<{ links: number; waiting: number }>(db, sql`
    select (select count(*)::int from citizen_records) as links,
      (select count(*)::int from registrations where status = 'validated') as waiting`);
  t.same(left, { links: 2, waiting: 3 }, 'the failed batches wrote nothing');
  await db.execute(sql`alter table review_cases drop constraint no_cases`);

  // Once the causes are gone the same records are identified, each once, with the case.
  t.same((await identifyStage(ctx, [id, maybe, again], 'registration', resolver)).sort((x, y) => x - y), [id, maybe, again].sort((x, y) => x - y));
  const [end] = await rows<{ links: number; waiting: number; cases: number }>(db, sql`
    select (select count(*)::int from citizen_records) as links,
      (select count(*)::int from registrations where status = 'validated') as waiting, (select count(*)::int from review_cases) as cases`);
  t.same(end, { links: 5, waiting: 0, cases: 1 }, 'every record linked once, the case opened');
  const [siti2] = await rows<{ same: boolean }>(db, sql`
    select (select citizen_id from registrations where id = ${siti}) = (select citizen_id from registrations where id = ${again}) as same`);
  t.ok(siti2!.same, 'Siti is one citizen');
});
