/** Citizens with resident records written straight into Postgres, as the identify stage leaves them. */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../src/db/client.js';
import { arrayParam, jsonTexts } from '../../src/db/sqlArrays.js';

export interface TestRecord {
  villageCode: string; localId: string; nik: string | null; kk: string | null; fullName: string; sex: 'M' | 'F' | null;
  birthDate: string | null; state?: 'active' | 'dead' | 'moved'; hamil?: boolean; warnings?: boolean;
}

export interface TestPerson { golden: { villageCode: string; nik: string | null; kk: string | null; fullName: string; sex: 'M' | 'F' | null; birthDate: string | null }; records: TestRecord[] }

const STATUS: Record<string, number> = { active: 1, dead: 2, moved: 3 };

/** Inserts people (one citizen each) with their records; answers the citizen ids in order. */
export async function insertPeople(db: Queryable, people: TestPerson[]): Promise<number[]> {
  if (people.length === 0) return [];
  const g = people.map((p) => p.golden);
  const ids = (await rows<{ id: number }>(db, sql`
    insert into citizens (nik, kk, full_name, sex, birth_date, village_code)
    select * from unnest(${arrayParam(g.map((x) => x.nik), 'text')}, ${arrayParam(g.map((x) => x.kk), 'text')}, ${arrayParam(g.map((x) => x.fullName), 'text')},
      ${arrayParam(g.map((x) => x.sex), 'text')}, ${arrayParam(g.map((x) => x.birthDate), 'date')}, ${arrayParam(g.map((x) => x.villageCode), 'text')})
    returning id`)).map((r) => r.id);
  const recs = people.flatMap((p, i) => p.records.map((r) => ({ ...r, citizen: ids[i]! })));
  await insertRecords(db, recs);
  return ids;
}

export async function insertRecords(db: Queryable, recs: (TestRecord & { citizen: number })[]): Promise<number[]> {
  if (recs.length === 0) return [];
  const rr = (await rows<{ id: number }>(db, sql`
    insert into resident_records (village_code, local_id, nik, kk, full_name, sex, birth_date, status_dasar, state, extra, warnings, content_hash, channel, status, citizen_id)
    select u.v, u.l, u.nik, u.kk, u.name, u.sex, u.birth, u.sd, u.state, u.extra::jsonb, u.warn::jsonb, md5(u.l || u.v)::char(40), 'push', 'identified', u.citizen
    from unnest(${arrayParam(recs.map((r) => r.villageCode), 'text')}, ${arrayParam(recs.map((r) => r.localId), 'text')}, ${arrayParam(recs.map((r) => r.nik), 'text')},
      ${arrayParam(recs.map((r) => r.kk), 'text')}, ${arrayParam(recs.map((r) => r.fullName), 'text')}, ${arrayParam(recs.map((r) => r.sex), 'text')},
      ${arrayParam(recs.map((r) => r.birthDate), 'date')}, ${arrayParam(recs.map((r) => STATUS[r.state ?? 'active']), 'int')}, ${arrayParam(recs.map((r) => r.state ?? 'active'), 'text')},
      ${arrayParam(jsonTexts(recs.map((r) => (r.hamil ? { hamil: '1' } : null))), 'text')}, ${arrayParam(jsonTexts(recs.map((r) => (r.warnings ? [{ code: 'X' }] : null))), 'text')},
      ${arrayParam(recs.map((r) => r.citizen), 'int')})
      as u(v, l, nik, kk, name, sex, birth, sd, state, extra, warn, citizen)
    returning id`)).map((r) => r.id);
  await db.execute(sql`
    insert into citizen_records (citizen_id, record_kind, record_id, village_code, link)
    select u.c, 'resident', u.r, u.v, 'new' from unnest(${arrayParam(recs.map((r) => r.citizen), 'int')}, ${arrayParam(rr, 'int')}, ${arrayParam(recs.map((r) => r.villageCode), 'text')}) as u(c, r, v)`);
  return rr;
}

/** Merge as a reviewer's "same" does: records move to the survivor, the other citizen points to it. */
export async function merge(db: Queryable, from: number, into: number): Promise<{ citizenRecords: number[]; residents: number[] }> {
  const cr = (await rows<{ id: number }>(db, sql`update citizen_records set citizen_id = ${into} where citizen_id = ${from} returning id`)).map((r) => r.id);
  const rr = (await rows<{ id: number }>(db, sql`update resident_records set citizen_id = ${into}, updated_at = now() where citizen_id = ${from} returning id`)).map((r) => r.id);
  await db.execute(sql`update citizens set merged_into = ${into}, updated_at = now() where id = ${from}`);
  return { citizenRecords: cr, residents: rr };
}

/** Undoes a merge as the reviewer's split does. */
export async function split(db: Queryable, from: number, trace: { citizenRecords: number[]; residents: number[] }): Promise<void> {
  await db.execute(sql`update citizen_records set citizen_id = ${from} where id = any(${arrayParam(trace.citizenRecords, 'int')})`);
  await db.execute(sql`update resident_records set citizen_id = ${from}, updated_at = now() where id = any(${arrayParam(trace.residents, 'int')})`);
  await db.execute(sql`update citizens set merged_into = null, updated_at = now() where id = ${from}`);
}

/** Every figure the summary tables hold, without timestamps, in a stable order. */
export async function snapshot(db: Queryable) {
  return {
    people: await rows(db, sql`select citizen_id, village_code, kk, sex, to_char(birth_date, 'YYYY-MM-DD') as birth_date, pregnant, has_nik from stats_people order by citizen_id`),
    villages: await rows(db, sql`select village_code, residents, records, duplicates, households, children_0_23m, children_0_59m, pregnant, women_15_49, without_nik, records_with_warnings, last_received_at, families_child_u5, families_child_u5_aided from stats_village order by village_code`),
    ages: await rows(db, sql`select village_code, sex, age_group, residents from stats_village_age order by 1, 2, 3`),
    services: await rows(db, sql`select * from stats_service_week order by 1, 2, 3, 4`),
    waits: await rows(db, sql`select * from stats_wait_hist order by 1, 2, 3, 4`),
    aid: await rows(db, sql`select * from stats_aid order by participant_id`),
    aidVillages: await rows(db, sql`select * from stats_aid_village order by 1, 2`),
    multi: await rows(db, sql`select * from stats_aid_multi order by participant_id`),
    agencyWeeks: await rows(db, sql`select * from stats_agency_week order by 1, 2, 3`),
    openItems: await rows(db, sql`select * from stats_open_items order by delivery_id`),
  };
}

/** A registration some days ago, routed to an agency; acknowledged after `ackMinutes` when given. */
export async function insertRegistration(db: Queryable, r: { village: string; externalId: string; service: string; agency: string; daysAgo: number; ackMinutes: number | null }): Promise<number> {
  const [g] = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, applicant, status, route_agency, created_at)
    values (${r.village}, ${r.externalId}, ${r.service}, '{}'::jsonb, 'routed', ${r.agency}, now() - ${r.daysAgo} * interval '1 day') returning id`);
  await db.execute(sql`
    insert into deliveries (registration_id, agency_code, level, queue, status, created_at)
    select id, route_agency, 'kabupaten', 'kab:' || route_agency, 'waiting', created_at from registrations where id = ${g!.id}`);
  if (r.ackMinutes !== null) {
    await db.execute(sql`update deliveries d set status = 'acked', acked_at = g.created_at + ${r.ackMinutes} * interval '1 minute'
      from registrations g where g.id = d.registration_id and d.registration_id = ${g!.id}`);
  }
  return g!.id;
}

/**
 * n routed registrations with their waiting deliveries, spread over three villages (two kecamatan),
 * three services and 40 days, external ids `${prefix}-1` … `${prefix}-n`.
 */
export async function insertRoutedRegistrations(db: Queryable, n: number, prefix: string): Promise<void> {
  await db.execute(sql`
    with g as (
      insert into registrations (village_code, external_id, service_code, applicant, status, route_agency, created_at)
      select (array['1812012002', '1812052006', '1812022001'])[1 + i % 3], ${prefix}::text || '-' || i, (array['KTP_EL_BARU', 'KK_BARU', 'KIA'])[1 + i % 3], '{}'::jsonb,
        'routed', 'disdukcapil', now() - (i % 40) * interval '1 day'
      from generate_series(1, ${n}::int) i returning id, route_agency, created_at
    )
    insert into deliveries (registration_id, agency_code, level, queue, status, created_at)
    select id, route_agency, 'kabupaten', 'kab:' || route_agency, 'waiting', created_at from g`);
}
