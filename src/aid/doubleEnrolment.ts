/**
 * Double enrolment: one person (the golden record, whatever NIK spelling each village used) enrolled in
 * the same program, or in programs config marks as exclusive, twice: in two tiyuh or twice in one.
 * Participants, aid listings and recipients per program are read here too.
 */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { Scope } from '../access/scope.js';
import type { HubConfig } from '../config/load.js';
import { protect, statsVillages } from '../stats/queries.js';
import { groupOfProgram } from './config.js';

/** Every enrolment in a program still running, with the person it names (stats_aid, kept by the stats refresher). */
function enrolments(groups: Map<string, string>) {
  return sql`
    select a.participant_id as id, a.village_code, p.local_id, p.nik, p.full_name, pr.name as program_name, pr.program_key,
      coalesce(g.code, pr.program_key) as grp, a.citizen_id as citizen
    from stats_aid a
    join aid_participants p on p.id = a.participant_id
    join aid_programs pr on pr.village_code = a.village_code and pr.local_id = a.program_local_id
    left join unnest(${arrayParam([...groups.keys()], 'text')}, ${arrayParam([...groups.values()], 'text')}) as g(key, code) on g.key = pr.program_key
    where pr.active is not false and a.citizen_id is not null`;
}

export interface Enrolment { participantId: number; villageCode: string; localId: string; programName: string; nik: string | null }

export async function doubleEnrolments(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans' | 'aidGroups'>, scope: Scope, q: { kecamatan?: string; village?: string; limit?: number }) {
  const { villages, region } = statsVillages(scope, config, q);
  const groups = groupOfProgram(config.aidGroups);
  const list = arrayParam(villages, 'text');
  const pairs = await rows<{
    citizen: number; full_name: string | null; grp: string;
    a_id: number; a_village: string; a_local: string; a_program: string; a_nik: string | null;
    b_id: number; b_village: string; b_local: string; b_program: string; b_nik: string | null;
  }>(db, sql`
    with e as materialized (${enrolments(groups)}),
    -- The people enrolled twice are found by grouping first: pairs are built for them only.
    twice as (select citizen, grp from e group by citizen, grp having count(*) > 1),
    d as materialized (select e.* from e join twice t on t.citizen = e.citizen and t.grp = e.grp)
    select a.citizen, c.full_name, a.grp,
      a.id as a_id, a.village_code as a_village, a.local_id as a_local, a.program_name as a_program, a.nik as a_nik,
      b.id as b_id, b.village_code as b_village, b.local_id as b_local, b.program_name as b_program, b.nik as b_nik
    from d a join d b on b.citizen = a.citizen and b.grp = a.grp and b.id > a.id
    left join citizens c on c.id = a.citizen
    where a.village_code = any(${list}::char(10)[]) or b.village_code = any(${list}::char(10)[])
    order by a.grp, a.citizen, a.id, b.id
    limit ${Math.min(10_000, q.limit ?? 5_000)}`);
  const perProgram = new Map<string, Set<number>>();
  for (const p of pairs) {
    const s = perProgram.get(p.grp) ?? new Set<number>();
    s.add(p.citizen);
    perProgram.set(p.grp, s);
  }
  const groupName = new Map((config.aidGroups ?? []).map((g) => [g.code, g.name]));
  return {
    asOf: new Date().toISOString(), region,
    programs: [...perProgram.entries()].map(([key, s]) => ({ programKey: key, name: groupName.get(key) ?? null, people: s.size })).sort((a, b) => b.people - a.people),
    items: pairs.map((p) => ({
      citizenId: p.citizen, fullName: p.full_name, programKey: p.grp,
      a: { participantId: p.a_id, villageCode: p.a_village, localId: p.a_local, programName: p.a_program, nik: p.a_nik },
      b: { participantId: p.b_id, villageCode: p.b_village, localId: p.b_local, programName: p.b_program, nik: p.b_nik },
    })),
  };
}

/** Recipients per program and tiyuh (people counted once per program), and families with a child under five reached by any program. */
export async function aidReach(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans' | 'aidGroups'>, scope: Scope, q: { kecamatan?: string; village?: string }) {
  const { villages, region } = statsVillages(scope, config, q);
  const list = arrayParam(villages, 'text');
  const [found, [families]] = await Promise.all([rows<{ village_code: string; program_key: string; program_name: string; enrolments: number; people: number; unlinked: number }>(db, sql`
    select a.village_code, pr.program_key, min(pr.name) as program_name, count(*)::int as enrolments,
      count(distinct a.citizen_id)::int as people, count(*) filter (where a.citizen_id is null)::int as unlinked
    from stats_aid a
    join aid_programs pr on pr.village_code = a.village_code and pr.local_id = a.program_local_id
    where a.village_code = any(${list}::char(10)[])
    group by 1, 2 order by 1, 2`), rows<{ with_child: number; reached: number }>(db, sql`
    with kids as (
      select distinct kk from stats_people
      where village_code = any(${list}::char(10)[]) and kk is not null and birth_date > current_date - interval '60 months' and birth_date <= current_date
    ), reached as (
      select distinct kk from stats_aid where kk is not null
    )
    select (select count(*) from kids)::int as with_child, (select count(*) from kids where kk in (select kk from reached))::int as reached`)]);
  return {
    asOf: new Date().toISOString(), region,
    familiesWithChildUnder5: families!.with_child, familiesWithChildUnder5Reached: families!.reached,
    items: found.map((r) => ({
      villageCode: r.village_code, programKey: r.program_key, programName: r.program_name,
      enrolments: protect(scope, r.enrolments), people: protect(scope, r.people), unlinked: protect(scope, r.unlinked),
    })),
  };
}

/** Participants the hub could not link to a citizen: listed for staff to fix in the village system. */
export async function unlinkedParticipants(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans'>, scope: Scope, q: { kecamatan?: string; village?: string; limit?: number }) {
  const { villages, region } = statsVillages(scope, config, q);
  const found = await rows<{ id: number; village_code: string; local_id: string; program_local_id: string; full_name: string | null; nik: string | null; birth_date: string | null }>(db, sql`
    select id, village_code, local_id, program_local_id, full_name, nik, to_char(birth_date, 'YYYY-MM-DD') as birth_date
    from aid_participants where link = 'none' and village_code = any(${arrayParam(villages, 'text')}::char(10)[])
    order by village_code, id limit ${Math.min(5_000, q.limit ?? 1_000)}`);
  return {
    asOf: new Date().toISOString(), region,
    items: found.map((r) => ({ participantId: r.id, villageCode: r.village_code, localId: r.local_id, programLocalId: r.program_local_id, fullName: r.full_name, nik: r.nik, birthDate: r.birth_date })),
  };
}
