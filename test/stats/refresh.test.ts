import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { loadConfig } from '../../src/config/load.js';
import { rebuildStats, refreshStats, SERVICES_STEP } from '../../src/stats/refresh.js';
import { programKeyOf } from '../../src/aid/rows.js';
import { createTestDatabase } from '../helpers/database.js';
import { insertPeople, insertRecords, insertRegistration, insertRoutedRegistrations, merge, snapshot, split, type TestPerson, type TestRecord } from './fixtures.js';

const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const VILLAGES = [...config.villages.keys()];
// A handful of villages in two kecamatan, so people collide and move between them.
const PLACES = ['1812012002', '1812012003', '1812052006', '1812052001', '1812022001'];

let seed = 20261204;
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
let serial = 0;

function birth(): string {
  const today = new Date();
  // Many young children and women of child-bearing age, so the stunting figures move.
  const years = rnd() < 0.3 ? rnd() * 6 : rnd() * 80;
  const d = new Date(today.getTime() - years * 365.25 * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function person(): TestPerson {
  serial += 1;
  const village = pick(PLACES);
  const sex = rnd() < 0.5 ? 'F' : 'M';
  const b = rnd() < 0.03 ? null : birth();
  const nik = rnd() < 0.15 ? null : `18120${pad(serial % 100)}${pad(serial % 28 + 1)}0190${pad(serial % 10000, 4)}`.slice(0, 16);
  const kk = `181201${pad(Math.floor(serial / 4) % 1000000, 6)}0001`.slice(0, 16);
  const first: TestRecord = { villageCode: village, localId: `L${serial}`, nik, kk, fullName: `Warga ${serial}`, sex, birthDate: b, hamil: sex === 'F' && rnd() < 0.2, warnings: rnd() < 0.1 };
  // Some people are known to a second village too (counted once, where the golden record places them).
  const extra: TestRecord[] = rnd() < 0.2 ? [{ ...first, villageCode: pick(PLACES), localId: `L${serial}b`, hamil: false }] : [];
  return { golden: { villageCode: village, nik, kk, fullName: `Warga ${serial}`, sex, birthDate: b }, records: [first, ...extra] };
}

async function living(): Promise<number[]> {
  return (await rows<{ id: number }>(db, sql`select id from citizens where merged_into is null order by id`)).map((r) => r.id);
}

t.test('incremental figures equal a rebuild after a random mix of inserts, merges, splits, deaths and moves', async (t) => {
  await insertPeople(db, Array.from({ length: 300 }, person));
  // Aid enrolments linked through a resident record (they follow merges and splits) and by NIK to a citizen.
  await db.execute(sql`insert into aid_programs (village_code, local_id, name, program_key, channel) select v, '1', 'PKH', 'PKH', 'push' from unnest(${arrayParam(PLACES, 'text')}) v`);
  await db.execute(sql`
    insert into aid_participants (village_code, local_id, program_local_id, content_hash, resident_id, citizen_id, link, channel)
    select r.village_code, 'r' || r.id, '1', md5(r.id::text)::char(40), case when r.id % 2 = 0 then r.id end, case when r.id % 2 = 1 then r.citizen_id end,
      case when r.id % 2 = 0 then 'resident' else 'nik' end, 'push'
    from resident_records r where r.id % 3 = 0`);
  const first = await refreshStats(db, config);
  t.equal(first.newDay, true, 'the first refresh computes every village');
  const merges: { from: number; trace: Awaited<ReturnType<typeof merge>> }[] = [];
  const done: Record<string, number> = { insert: 0, merge: 0, split: 0, death: 0, move: 0, pregnancy: 0, correction: 0, deletion: 0, registration: 0, enrolment: 0, program: 0, answer: 0, ack: 0, reroute: 0, withdrawal: 0 };

  for (let round = 0; round < 8; round++) {
    for (let op = 0; op < 30; op++) {
      // An incremental refresh mid-round too: a second change to what the first refresh took must start
      // from the figures that refresh left, not from a rebuild's.
      if (op === 15) await refreshStats(db, config);
      const x = rnd();
      const ids = await living();
      if (rnd() < 0.15) {
        // Aid and service changes: a person enrolled again (often a double), a program switched off or on, an item taken or answered,
        // a registration routed elsewhere or withdrawn.
        const y = rnd();
        if (y < 0.5) {
          await db.execute(sql`insert into aid_participants (village_code, local_id, program_local_id, content_hash, citizen_id, link, channel)
            values (${pick(PLACES)}, ${`E${round}-${op}`}, '1', md5(${`E${round}-${op}`})::char(40), ${pick(ids)}, 'nik', 'push')`);
          done.enrolment! += 1;
        } else if (y < 0.65) {
          await db.execute(sql`update aid_programs set active = not coalesce(active, true), updated_at = now() where village_code = ${pick(PLACES)} and local_id = '1'`);
          done.program! += 1;
        } else if (y < 0.72) {
          // An agency takes an item: it waits no more, and its wait joins the histogram.
          const [d] = await rows<{ id: number }>(db, sql`select id from deliveries where status = 'waiting' order by id limit 1`);
          if (!d) continue;
          await db.execute(sql`update deliveries set status = 'acked', acked_at = now() where id = ${d.id}`);
          done.ack! += 1;
        } else if (y < 0.8) {
          const [d] = await rows<{ id: number }>(db, sql`select id from deliveries where answer_status is null order by id limit 1`);
          if (!d) continue;
          await db.execute(sql`update deliveries set answer_status = 'selesai', answered_at = now() where id = ${d.id}`);
          done.answer! += 1;
        } else {
          // A registration routed again to another agency (its counts move between groups), or withdrawn.
          const regs = await rows<{ id: number }>(db, sql`select id from registrations order by id`);
          if (!regs.length) continue;
          const g = pick(regs).id;
          if (y < 0.9) {
            await db.execute(sql`update registrations set route_agency = case when route_agency = 'disdukcapil' then 'dinsos' else 'disdukcapil' end where id = ${g}`);
            await db.execute(sql`update deliveries set agency_code = case when agency_code = 'disdukcapil' then 'dinsos' else 'disdukcapil' end where registration_id = ${g}`);
            done.reroute! += 1;
          } else {
            await db.execute(sql`delete from deliveries where registration_id = ${g}`);
            await db.execute(sql`delete from registrations where id = ${g}`);
            done.withdrawal! += 1;
          }
        }
        continue;
      }
      if (x < 0.2) {
        await insertPeople(db, Array.from({ length: 1 + Math.floor(rnd() * 4) }, person));
        done.insert! += 1;
      } else if (x < 0.35) {
        const a = pick(ids);
        const b = pick(ids);
        if (a === b) continue;
        merges.push({ from: a, trace: await merge(db, a, b) });
        done.merge! += 1;
      } else if (x < 0.45 && merges.length) {
        const m = merges.splice(Math.floor(rnd() * merges.length), 1)[0]!;
        const [c] = await rows<{ merged_into: number | null }>(db, sql`select merged_into from citizens where id = ${m.from}`);
        // Only a merge whose survivor was not merged away since is undone (as the console allows).
        const [s] = await rows<{ merged_into: number | null }>(db, sql`select merged_into from citizens where id = ${c!.merged_into}`);
        if (s?.merged_into !== null) continue;
        await split(db, m.from, m.trace);
        done.split! += 1;
      } else if (x < 0.6) {
        await db.execute(sql`update resident_records set state = 'dead', status_dasar = 2, updated_at = now()
          where id = (select id from resident_records where citizen_id = ${pick(ids)} order by id limit 1)`);
        done.death! += 1;
      } else if (x < 0.75) {
        const c = pick(ids);
        const to = pick(PLACES);
        await db.execute(sql`update resident_records set state = 'moved', status_dasar = 3, updated_at = now() where citizen_id = ${c} and state = 'active'`);
        await insertRecords(db, [{ villageCode: to, localId: `M${c}-${round}-${op}`, nik: null, kk: null, fullName: `Pindahan ${c}`, sex: 'F', birthDate: birth(), citizen: c }]);
        await db.execute(sql`update citizens set village_code = ${to}, updated_at = now() where id = ${c}`);
        done.move! += 1;
      } else if (x < 0.85) {
        await db.execute(sql`update resident_records set extra = jsonb_build_object('hamil', case when extra->>'hamil' = '1' then '0' else '1' end), updated_at = now()
          where id = (select id from resident_records where citizen_id = ${pick(ids)} order by id limit 1)`);
        done.pregnancy! += 1;
      } else if (x < 0.93) {
        await db.execute(sql`update citizens set birth_date = ${birth()}::date, nik = case when nik is null then '1812014101900001' else null end, updated_at = now() where id = ${pick(ids)}`);
        done.correction! += 1;
      } else if (x < 0.97) {
        await insertRegistration(db, { village: pick(PLACES), externalId: `R${round}-${op}`, service: pick(['KTP_EL_BARU', 'KK_BARU']), agency: 'disdukcapil', daysAgo: Math.floor(rnd() * 60), ackMinutes: rnd() < 0.7 ? Math.floor(rnd() * 3000) : null });
        done.registration! += 1;
      } else {
        await db.execute(sql`update resident_records set state = 'deleted', deleted_at = now(), updated_at = now()
          where id = (select id from resident_records where citizen_id = ${pick(ids)} order by id desc limit 1)`);
        done.deletion! += 1;
      }
    }
    const inc = await refreshStats(db, config);
    t.ok(inc.ran && !inc.newDay, `round ${round}: incremental (${inc.citizens} citizens, ${inc.villages} villages)`);
    const incremental = await snapshot(db);
    await rebuildStats(db, config);
    const rebuilt = await snapshot(db);
    t.same(incremental, rebuilt, `round ${round}: incremental equals rebuilt`);
  }
  t.ok(Object.values(done).every((n) => n > 0), `every kind of change happened: ${JSON.stringify(done)}`);
  const last = await snapshot(db);
  t.ok(last.multi.length > 0 && last.aidVillages.length > 0 && last.openItems.length > 0 && last.agencyWeeks.length > 0, `the summary tables compared are not empty: ${JSON.stringify(Object.fromEntries(Object.entries(last).map(([k, v]) => [k, v.length])))}`);
  t.ok((last.villages as { families_child_u5_aided: number }[]).some((v) => v.families_child_u5_aided > 0), 'some families with a child under five are reached by aid');
  const [totals] = await rows<{ residents: number; records: number }>(db, sql`select sum(residents)::int as residents, sum(records)::int as records from stats_village`);
  t.ok(totals!.residents > 100 && totals!.records > totals!.residents, 'people known to two villages are counted once');
});

t.test('a refresh with nothing changed touches no village; a new day recomputes ages everywhere', async (t) => {
  const idle = await refreshStats(db, config);
  t.match(idle, { ran: true, citizens: 0, villages: 0, newDay: false });
  await db.execute(sql`update stats_state set ages_as_of = ages_as_of - 1`);
  const before = await snapshot(db);
  const next = await refreshStats(db, config);
  t.equal(next.newDay, true);
  t.equal(next.villages, VILLAGES.length);
  t.same(await snapshot(db), before, 'same day again: same figures');
});

t.test('programs config makes exclusive count as one from the next refresh, as a rebuild with that config does', async (t) => {
  const village = PLACES[0]!;
  // The random rounds may have switched PKH off here.
  await db.execute(sql`update aid_programs set active = true where village_code = ${village} and local_id = '1'`);
  const [c] = await rows<{ id: number }>(db, sql`select citizen_id as id from stats_aid where citizen_id is not null and village_code = ${village}
    and citizen_id not in (select citizen_id from stats_aid_multi) order by participant_id limit 1`);
  await db.execute(sql`insert into aid_programs (village_code, local_id, name, program_key, active, channel) values (${village}, 'B1', 'BPNT', ${programKeyOf('BPNT')}, true, 'push')`);
  await db.execute(sql`insert into aid_participants (village_code, local_id, program_local_id, content_hash, citizen_id, link, channel)
    values (${village}, 'BPNT-1', 'B1', md5('BPNT-1')::char(40), ${c!.id}, 'nik', 'push')`);
  await refreshStats(db, config);
  const multi = async () => rows<{ grp: string }>(db, sql`select grp from stats_aid_multi where citizen_id = ${c!.id}`);
  t.same(await multi(), [], 'PKH and BPNT are different programs without config');
  const grouped = { ...config, aidGroups: [{ code: 'BANSOS', name: 'Bansos tunai', programs: ['PKH', 'BPNT'] }] };
  await refreshStats(db, grouped);
  t.same((await multi()).map((r) => r.grp), ['BANSOS', 'BANSOS'], 'both enrolments of the person are candidates in the group');
  const incremental = await snapshot(db);
  await rebuildStats(db, grouped);
  t.same(incremental, await snapshot(db), 'incremental equals rebuilt with the grouped config');
  await refreshStats(db, config);
  t.same(await multi(), [], 'the group removed from config, the pair is gone');
});

t.test('a refresh of more registrations than one step takes, in steps, equals a rebuild', async (t) => {
  await rebuildStats(db, config);
  const n = 2 * SERVICES_STEP + 137;
  // Spread over weeks, services and kecamatan, so every step touches weeks the others touch too.
  await insertRoutedRegistrations(db, n, 'STEP');
  const first = await refreshStats(db, config);
  t.ok(first.ran);
  const stepped = await snapshot(db);
  t.ok((stepped.openItems as unknown[]).length >= n, 'the new items are open');
  await rebuildStats(db, config);
  t.same(stepped, await snapshot(db), 'stepped refresh of new registrations equals a rebuild');
  // Changes to registrations that fall in different steps: acknowledged, answered, cancelled.
  await db.execute(sql`update deliveries d set status = 'acked', acked_at = d.created_at + interval '90 minutes'
    from registrations g where g.id = d.registration_id and g.external_id like 'STEP-%' and d.id % 3 = 0`);
  await db.execute(sql`update deliveries d set answer_status = 'selesai', answered_at = now()
    from registrations g where g.id = d.registration_id and g.external_id like 'STEP-%' and d.id % 5 = 0`);
  await db.execute(sql`update deliveries d set cancelled_at = now()
    from registrations g where g.id = d.registration_id and g.external_id like 'STEP-%' and d.id % 7 = 0`);
  await refreshStats(db, config);
  const changed = await snapshot(db);
  t.notSame(changed.openItems, stepped.openItems, 'the changes moved the figures');
  await rebuildStats(db, config);
  t.same(changed, await snapshot(db), 'stepped refresh of changed registrations equals a rebuild');
});
