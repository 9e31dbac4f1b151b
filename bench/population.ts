/**
 * A kabupaten-size population written straight into a fresh database (the pipeline is not under test):
 * N citizens with ~1.1 records each over every tiyuh, 30,000-odd aid enrolments, 60,000 registrations
 * over twelve weeks with their agency items. Shared by bench:stats and bench:console.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';
import { arrayParam } from '../src/db/sqlArrays.js';

export async function loadPopulation(db: Db, opts: { citizens: number; villages: string[]; services: Array<{ code: string; agency: string }> }): Promise<void> {
  const { villages, services } = opts;
  await db.execute(sql`
    insert into citizens (nik, kk, full_name, sex, birth_date, village_code)
    select case when i % 10 = 0 then null else lpad((1812010000000000 + i)::text, 16, '0') end,
      lpad((1812010000000000 + i / 4)::text, 16, '0'), 'Warga ' || i, case when i % 2 = 0 then 'F' else 'M' end,
      case when i % 12 = 0 then current_date - (i % 1800) else current_date - (i::bigint * 7919 % 29000)::int end,
      (${arrayParam(villages, 'text')})[1 + i % ${villages.length}]
    from generate_series(1, ${opts.citizens}) i`);
  // Every citizen's record where they live; one in ten also has a record in another tiyuh (a duplicate the hub removed).
  await db.execute(sql`
    insert into resident_records (village_code, local_id, nik, kk, full_name, sex, birth_date, status_dasar, state, extra, content_hash, channel, status, citizen_id)
    select c.village_code, c.id::text, c.nik, c.kk, c.full_name, c.sex, c.birth_date,
      case when c.id % 50 = 0 then 2 else 1 end, case when c.id % 50 = 0 then 'dead' else 'active' end,
      case when c.sex = 'F' and c.id % 40 = 2 then '{"hamil":"1"}'::jsonb end, md5(c.id::text)::char(40), 'pull', 'identified', c.id
    from citizens c
    union all
    select (${arrayParam(villages, 'text')})[1 + (c.id::bigint * 31) % ${villages.length}], 'd' || c.id, c.nik, c.kk, c.full_name, c.sex, c.birth_date, 1, 'active', null,
      md5('d' || c.id)::char(40), 'pull', 'identified', c.id
    from citizens c where c.id % 10 = 3`);
  await db.execute(sql`insert into citizen_records (citizen_id, record_kind, record_id, village_code, link) select citizen_id, 'resident', id, village_code, 'match' from resident_records`);
  await db.execute(sql`
    insert into aid_programs (village_code, local_id, name, program_key, target, active, channel)
    select v, p::text, 'Program ' || p, 'PROGRAM-' || p, 1, true, 'opendk' from unnest(${arrayParam(villages, 'text')}) v, generate_series(1, 5) p`);
  await db.execute(sql`
    insert into aid_participants (village_code, local_id, program_local_id, full_name, content_hash, resident_id, link, channel)
    select r.village_code, r.id::text, (1 + r.id % 5)::text, r.full_name, md5(r.id::text)::char(40), r.id, 'resident', 'opendk'
    from resident_records r where r.id % 11 = 0`);
  // Double enrolment: one in 70 people known to two tiyuh is enrolled in Program 1 by both (~4,300 pairs at 300k).
  await db.execute(sql`
    insert into aid_participants (village_code, local_id, program_local_id, full_name, content_hash, resident_id, link, channel)
    select r.village_code, 'x' || r.id, '1', r.full_name, md5('x' || r.id)::char(40), r.id, 'resident', 'opendk'
    from resident_records r where r.citizen_id % 70 = 3`);
  await db.execute(sql`
    insert into registrations (village_code, external_id, service_code, applicant, status, route_agency, created_at, citizen_id)
    select (${arrayParam(villages, 'text')})[1 + i % ${villages.length}], 'r' || i, (${arrayParam(services.map((s) => s.code), 'text')})[1 + i % ${services.length}],
      '{}'::jsonb, 'routed', (${arrayParam(services.map((s) => s.agency), 'text')})[1 + i % ${services.length}], now() - (i % 84) * interval '1 day' - (i % 24) * interval '1 hour', i
    from generate_series(1, 60000) i`);
  await db.execute(sql`
    insert into deliveries (registration_id, agency_code, level, queue, status, created_at, acked_at)
    select id, route_agency, 'kabupaten', 'kab:' || route_agency, case when id % 7 = 0 then 'waiting' else 'acked' end, created_at,
      case when id % 7 = 0 then null else created_at + (id % 300) * interval '1 minute' end
    from registrations`);
  await db.execute(sql`analyze`);
}
