import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { currentIdentityParameters, reestimateIdentityParameters } from '../../../src/pipeline/identityParameters.js';
import { EngineResolver } from '../../../src/pipeline/stages/engineResolver.js';
import { identifyStage } from '../../../src/pipeline/stages/identify.js';
import { generatePopulation } from '../../../src/synth/population.js';
import { startTestHub } from '../../helpers/hub.js';
import { applicant, PANARAGAN } from '../../helpers/fixtures.js';

// Parameters learned from the population are recorded (who, when, what) and the identify stage
// resolves with the newest set from its next batch.
const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;

t.test('no set recorded: the hand values apply', async (t) => {
  t.equal(await currentIdentityParameters(db), null);
});

t.test('an estimation from the active residents is recorded, and identify rebuilds its index with it', async (t) => {
  const pop = generatePopulation({ records: 4000, seed: 17 });
  const values = pop.records.map((r, i) => sql`(${r.villageCode ?? PANARAGAN}, ${`p-${i}`}, ${r.nik && /^\d{16}$/.test(r.nik) ? r.nik : null},
    ${r.kk && /^\d{16}$/.test(r.kk) ? r.kk : null}, ${r.fullName}, ${r.sex ?? null}, ${r.birthDate ?? null}::date, ${r.motherName ?? null},
    ${r.address ?? null}, repeat('0', 40), 'opendk', 'identified', now())`);
  for (let i = 0; i < values.length; i += 500) {
    await db.execute(sql`insert into resident_records (village_code, local_id, nik, kk, full_name, sex, birth_date, mother_name, address,
      content_hash, channel, status, source_updated_at) values ${sql.join(values.slice(i, i + 500), sql`, `)}`);
  }
  const resolver = new EngineResolver();
  const register = async (n: number) => {
    const a = applicant(n, { villageCode: PANARAGAN });
    const [r] = await rows<{ id: number }>(db, sql`
      insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status)
      values (${PANARAGAN}, ${`ip-${n}`}, 'KTP_EL_BARU', now(), ${JSON.stringify(a)}::jsonb, 'validated') returning id`);
    await identifyStage(th.hub.ctx, [r!.id], 'registration', resolver);
  };
  await register(1);
  t.equal(resolver.stats.fullLoads, 1, 'built once, with the hand values');
  await register(2);
  t.equal(resolver.stats.fullLoads, 1, 'nothing changed: no rebuild');

  const { set, estimate } = await reestimateIdentityParameters(db, { createdBy: 'test', reason: 'first estimation' });
  t.ok(estimate.learned, 'learned from the population');
  t.ok(set.records >= 3500, `${set.records} records`);
  const [row] = await rows<{ created_by: string; reason: string; learned: boolean; m: number }>(db, sql`
    select created_by, reason, learned, (fields->'nik'->'exact'->>'m')::float8 as m from identity_parameter_sets where id = ${set.id}`);
  t.same({ by: row?.created_by, reason: row?.reason, learned: row?.learned }, { by: 'test', reason: 'first estimation', learned: true });
  t.ok((row?.m ?? 0) > 0, 'the m values are stored');
  t.equal((await currentIdentityParameters(db))?.id, set.id);

  await register(3);
  t.equal(resolver.stats.fullLoads, 2, 'a new parameter set: the index is rebuilt with it');
  await register(4);
  t.equal(resolver.stats.fullLoads, 2);
});
