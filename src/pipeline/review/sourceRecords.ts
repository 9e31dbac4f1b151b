import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { RecordKind } from '../queues.js';
import type { Person } from '../stages/identify.js';
import type { SourcePerson } from './goldenRecord.js';

/** A source record linked to a citizen, with the decision that linked it. */
export interface LinkedRecord {
  citizenId: number;
  kind: RecordKind;
  id: number;
  villageCode: string | null;
  link: string;
  score: number | null;
  person: SourcePerson;
}

/**
 * The identifying part of both kinds of source record, in one shape. A registration's applicant names
 * their own village (defaulting to the submitting village); a resident's seenAt is when its village
 * system last changed it.
 */
const PERSON_OF_REGISTRATION = sql`json_build_object('nik', r.applicant->>'nik', 'kk', r.applicant->>'kk',
  'fullName', r.applicant->>'fullName', 'sex', r.applicant->>'sex', 'birthDate', r.applicant->>'birthDate',
  'birthPlace', r.applicant->>'birthPlace', 'motherName', r.applicant->>'motherName', 'address', r.applicant->>'address',
  'villageCode', coalesce(r.applicant->>'villageCode', r.village_code), 'seenAt', coalesce(r.submitted_at, r.created_at))`;
const PERSON_OF_RESIDENT = sql`json_build_object('nik', rr.nik, 'kk', rr.kk, 'fullName', rr.full_name, 'sex', rr.sex,
  'birthDate', rr.birth_date::text, 'birthPlace', rr.birth_place, 'motherName', rr.mother_name, 'address', rr.address,
  'villageCode', rr.village_code, 'seenAt', coalesce(rr.source_updated_at, rr.updated_at))`;

/** Every source record of these citizens (set-based), oldest link first. */
export async function loadLinkedRecords(db: Queryable, citizenIds: readonly number[], perCitizenLimit?: number): Promise<LinkedRecord[]> {
  if (citizenIds.length === 0) return [];
  const found = await rows<{ citizen_id: number; kind: RecordKind; id: number; village_code: string | null; link: string; score: number | null; person: SourcePerson | null }>(db, sql`
    select citizen_id, kind, id, village_code, link, score, person from (
      select cr.citizen_id, cr.record_kind as kind, cr.record_id as id, cr.village_code, cr.link, cr.score, cr.id as link_id,
        case cr.record_kind when 'registration' then ${PERSON_OF_REGISTRATION} else ${PERSON_OF_RESIDENT} end as person,
        row_number() over (partition by cr.citizen_id order by cr.id desc) as nth
      -- Lateral lookups by key (offset 0 and limit 1 keep the planner from flattening them): joined
      -- plainly, the planner (misled by a list of ids) hashes the whole registrations table, once per
      -- identify batch, at a cost that grows with every registration.
      from unnest(${arrayParam(citizenIds, 'int')}) as c(id)
      cross join lateral (select * from citizen_records x where x.citizen_id = c.id offset 0) cr
      left join lateral (select * from registrations x where cr.record_kind = 'registration' and x.id = cr.record_id limit 1) r on true
      left join lateral (select * from resident_records x where cr.record_kind = 'resident' and x.id = cr.record_id limit 1) rr on true
    ) linked
    where person is not null ${perCitizenLimit ? sql`and nth <= ${perCitizenLimit}` : sql``}
    order by link_id`);
  return found.flatMap((f) => (f.person && (f.person as Partial<Person>).fullName != null
    ? [{ citizenId: f.citizen_id, kind: f.kind, id: f.id, villageCode: f.village_code, link: f.link, score: f.score, person: f.person }]
    : []));
}

/** One source record's person, or null when there is no such record. */
export async function loadRecordPerson(db: Queryable, kind: RecordKind, id: number): Promise<{ villageCode: string; person: SourcePerson } | null> {
  const [found] = kind === 'registration'
    ? await rows<{ village_code: string; person: SourcePerson }>(db, sql`select r.village_code, ${PERSON_OF_REGISTRATION} as person from registrations r where r.id = ${id}`)
    : await rows<{ village_code: string; person: SourcePerson }>(db, sql`select rr.village_code, ${PERSON_OF_RESIDENT} as person from resident_records rr where rr.id = ${id}`);
  return found ? { villageCode: found.village_code, person: found.person } : null;
}

/** Identifying fields only: applicants carry more (phone, RT/RW) than staff need to compare people. */
export function personOut(p: SourcePerson): Person & { seenAt: string | null } {
  return {
    nik: p.nik ?? null, kk: p.kk ?? null, fullName: p.fullName, sex: p.sex ?? null, birthDate: p.birthDate ?? null,
    birthPlace: p.birthPlace ?? null, motherName: p.motherName ?? null, address: p.address ?? null, villageCode: p.villageCode,
    seenAt: p.seenAt ? new Date(p.seenAt).toISOString() : null,
  };
}
