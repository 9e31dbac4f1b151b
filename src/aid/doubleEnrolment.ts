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
import { pageOf, protect, statsAsOf, statsVillages, type Page } from '../stats/queries.js';

export interface Enrolment { participantId: number; villageCode: string; localId: string; programName: string; nik: string | null }

/**
 * Pairs of enrolments of one person in one program (or exclusive group), from stats_aid_multi (kept by
 * the stats refresher, so only the few candidates are read): those with either side in scope, one page
 * of them, and people per program over all of them.
 */
export async function doubleEnrolments(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans' | 'aidGroups'>, scope: Scope, q: { kecamatan?: string; village?: string } & Page, maxLimit = 1000) {
  const { villages, region } = statsVillages(scope, config, q);
  const list = arrayParam(villages, 'text');
  const page = pageOf(q, maxLimit);
  // The people with an enrolment in scope; a pair is shown when either side is in scope (the other may be in another kecamatan).
  const people = sql`select distinct citizen_id, grp from stats_aid_multi where village_code = any(${list}::char(10)[])`;
  // Paged on the candidates' ids alone; names, NIKs and programs are read for the page's pairs only.
  const [pairs, perProgram] = await Promise.all([rows<{
    citizen: number; full_name: string | null; grp: string; total: number;
    a_id: number; a_village: string; a_local: string; a_program: string; a_nik: string | null;
    b_id: number; b_village: string; b_local: string; b_program: string; b_nik: string | null;
  }>(db, sql`
    with m as materialized (
      select m.participant_id, m.citizen_id, m.grp, m.village_code from (${people}) s
      join stats_aid_multi m on m.citizen_id = s.citizen_id and m.grp = s.grp
    ), page as (
      select a.citizen_id as citizen, a.grp, a.participant_id as a_id, b.participant_id as b_id, count(*) over ()::int as total
      from m a join m b on b.citizen_id = a.citizen_id and b.grp = a.grp and b.participant_id > a.participant_id
      where a.village_code = any(${list}::char(10)[]) or b.village_code = any(${list}::char(10)[])
      order by a.grp, a.citizen_id, a.participant_id, b.participant_id
      limit ${page.limit} offset ${page.offset}
    )
    select page.citizen, c.full_name, page.grp, page.total,
      pa.id as a_id, pa.village_code as a_village, pa.local_id as a_local, ra.name as a_program, pa.nik as a_nik,
      pb.id as b_id, pb.village_code as b_village, pb.local_id as b_local, rb.name as b_program, pb.nik as b_nik
    from page
    join aid_participants pa on pa.id = page.a_id
    join aid_programs ra on ra.village_code = pa.village_code and ra.local_id = pa.program_local_id
    join aid_participants pb on pb.id = page.b_id
    join aid_programs rb on rb.village_code = pb.village_code and rb.local_id = pb.program_local_id
    left join citizens c on c.id = page.citizen
    order by page.grp, page.citizen, page.a_id, page.b_id`),
  rows<{ grp: string; people: number }>(db, sql`select grp, count(*)::int as people from (${people}) s group by grp`)]);
  const total = pairs[0]?.total ?? (page.offset === 0 ? 0 : (await rows<{ n: number }>(db, sql`
    select count(*)::int as n from (${people}) s join stats_aid_multi a on a.citizen_id = s.citizen_id and a.grp = s.grp
    join stats_aid_multi b on b.citizen_id = a.citizen_id and b.grp = a.grp and b.participant_id > a.participant_id
    where a.village_code = any(${list}::char(10)[]) or b.village_code = any(${list}::char(10)[])`))[0]!.n);
  const groupName = new Map((config.aidGroups ?? []).map((g) => [g.code, g.name]));
  return {
    asOf: await statsAsOf(db), region,
    programs: perProgram.map((r) => ({ programKey: r.grp, name: groupName.get(r.grp) ?? null, people: r.people })).sort((a, b) => b.people - a.people || a.programKey.localeCompare(b.programKey)),
    limit: page.limit, offset: page.offset, total,
    items: pairs.map((p) => ({
      citizenId: p.citizen, fullName: p.full_name, programKey: p.grp,
      a: { participantId: p.a_id, villageCode: p.a_village, localId: p.a_local, programName: p.a_program, nik: p.a_nik },
      b: { participantId: p.b_id, villageCode: p.b_village, localId: p.b_local, programName: p.b_program, nik: p.b_nik },
    })),
  };
}

/**
 * Recipients per program and tiyuh (people counted once per program) and families with a child under
 * five reached by any program, from the summary tables (stats_aid_village, stats_village). A family
 * whose children under five live in two tiyuh counts in each.
 */
export async function aidReach(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans' | 'aidGroups'>, scope: Scope, q: { kecamatan?: string; village?: string }) {
  const { villages, region } = statsVillages(scope, config, q);
  const list = arrayParam(villages, 'text');
  const [found, [families]] = await Promise.all([rows<{ village_code: string; program_key: string; program_name: string; enrolments: number; people: number; unlinked: number }>(db, sql`
    select village_code, program_key, program_name, enrolments, people, unlinked
    from stats_aid_village where village_code = any(${list}::char(10)[]) order by 1, 2`), rows<{ with_child: number; reached: number }>(db, sql`
    select coalesce(sum(families_child_u5), 0)::int as with_child, coalesce(sum(families_child_u5_aided), 0)::int as reached
    from stats_village where village_code = any(${list}::char(10)[])`)]);
  return {
    asOf: await statsAsOf(db), region,
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
