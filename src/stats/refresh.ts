/**
 * The summary tables behind every figure, kept current set-based: triggers (migration 0015) mark the
 * citizens and villages a statement touched; a refresh recomputes the facts of those citizens only, then
 * the figures of the villages they left or entered. A rebuild does the same for everyone. Both run under
 * one advisory lock, so two hub processes never refresh at once.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Db, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { relinkUnlinked } from '../aid/link.js';
import { groupOfProgram } from '../aid/config.js';
import { dueAt } from '../delivery/serviceLevel.js';
import type { HubConfig } from '../config/load.js';

/**
 * What the figures depend on besides the data: the villages always shown (with zeros), each service's
 * service level (items past it), and the programs counted as one for double enrolment.
 */
export type StatsConfig = Pick<HubConfig, 'villages' | 'services' | 'aidGroups'>;

const STATS_LOCK = 0x57a7_5e11;

/** A resident record that says the person lives (OpenSID status_dasar 1) and was not deleted by its village. */
const LIVING = sql.raw(`r.state = 'active' and r.deleted_at is null`);

export interface RefreshResult {
  /** False when another process held the lock; nothing was done. */
  ran: boolean;
  citizens: number;
  villages: number;
  /** The day changed since ages were last computed: every village's age figures were recomputed. */
  newDay: boolean;
  ms: number;
  /** Milliseconds per step, to see where a slow refresh spends its time. */
  steps: Record<string, number>;
  /** Dirty marks taken, repeats included (each write statement marks what it changed). */
  marks: number;
}

/**
 * Marks taken (so dead rows left in the mark tables) after which the refresher vacuums those tables.
 * Under a steady push each registration written leaves a mark (three on its way to routed: ~60,000 per
 * 20 s at 1,000 pushes/s), and autovacuum may be off or late: vacuumed, the tables reuse their pages
 * instead of growing.
 */
export const VACUUM_MARKS_AFTER = 20_000;

/**
 * Deletes a mark table's marks and answers each marked value once, with how many marks there were.
 * Marks may repeat: the tables have no key, so a writer never waits on the refresher's delete
 * (migration 0025). A mark committed after this delete's snapshot stays for the next refresh.
 */
type MarkTable = 'stats_dirty_citizens' | 'stats_dirty_villages' | 'stats_dirty_participants' | 'stats_dirty_registrations';

async function takeMarks<T>(tx: Queryable, table: MarkTable, value: SQL): Promise<{ values: T[]; n: number }> {
  const marks = await rows<{ v: T; n: number }>(tx, sql`
    with d as (delete from ${sql.raw(table)} returning *) select ${value} as v, count(*)::int as n from d group by 1`);
  return { values: marks.map((m) => m.v), n: marks.reduce((sum, m) => sum + m.n, 0) };
}

/** Vacuums the mark tables: a few ms for tables of a few thousand dead rows. Not in a transaction. */
export async function vacuumMarks(db: Db): Promise<void> {
  await db.execute(sql`vacuum stats_dirty_citizens, stats_dirty_villages, stats_dirty_registrations, stats_dirty_participants`);
}

function stepTimer() {
  const steps: Record<string, number> = {};
  let last = performance.now();
  return { steps, lap(name: string) { const now = performance.now(); steps[name] = Math.round(now - last); last = now; } };
}

/**
 * Writes the fact row of each given citizen that is a living resident (not merged away, at least one
 * living resident record, no record of death) and removes the others; answers the villages whose
 * figures change (the ones left and the ones entered).
 */
async function refreshPeople(tx: Queryable, ids: number[] | null): Promise<string[]> {
  const only = ids === null ? sql`true` : sql`c.id = any(${arrayParam(ids, 'int')})`;
  const left = ids === null ? [] : await rows<{ v: string }>(tx, sql`
    delete from stats_people where citizen_id = any(${arrayParam(ids, 'int')}) returning village_code as v`);
  if (ids === null) await tx.execute(sql`delete from stats_people`);
  const onlyRecords = ids === null ? sql`r.citizen_id is not null` : sql`r.citizen_id = any(${arrayParam(ids, 'int')})`;
  const entered = await rows<{ v: string }>(tx, sql`
    insert into stats_people (citizen_id, village_code, kk, sex, birth_date, pregnant, has_nik)
    select c.id, coalesce(c.village_code, rec.latest_village), c.kk, c.sex, c.birth_date,
      c.sex = 'F' and rec.pregnant, c.nik is not null and c.nik !~ '^0'
    from (
      select r.citizen_id, bool_or(${LIVING}) as living, bool_or(r.state = 'dead' and r.deleted_at is null) as dead,
        coalesce(bool_or(${LIVING} and r.extra->>'hamil' = '1'), false) as pregnant,
        (array_agg(r.village_code order by r.updated_at desc) filter (where ${LIVING}))[1] as latest_village
      from resident_records r where ${onlyRecords} group by r.citizen_id
    ) rec
    join citizens c on c.id = rec.citizen_id
    where rec.living and not rec.dead and ${only} and c.merged_into is null and coalesce(c.village_code, rec.latest_village) is not null
    returning village_code as v`);
  return [...new Set([...left, ...entered].map((r) => r.v))];
}

/** Recomputes the figures of the given villages from the fact rows and their resident records, as of `day`. */
async function refreshVillages(tx: Queryable, villages: string[], day: string): Promise<void> {
  if (villages.length === 0) return;
  const list = arrayParam(villages, 'text');
  const asOf = sql`${day}::date`;
  await tx.execute(sql`delete from stats_village where village_code = any(${list}::char(10)[])`);
  await tx.execute(sql`delete from stats_village_age where village_code = any(${list}::char(10)[])`);
  // Grouped once over the villages' rows (not a loop per village): one plan whether 1 village or all changed.
  await tx.execute(sql`
    with p as (
      select village_code, count(*)::int as residents, count(distinct kk)::int as households,
        count(*) filter (where birth_date <= ${asOf} and birth_date > (${asOf} - interval '24 months'))::int as c23,
        count(*) filter (where birth_date <= ${asOf} and birth_date > (${asOf} - interval '60 months'))::int as c59,
        count(*) filter (where pregnant)::int as pregnant,
        count(*) filter (where sex = 'F' and birth_date <= (${asOf} - interval '15 years') and birth_date > (${asOf} - interval '50 years'))::int as w1549,
        count(*) filter (where not has_nik)::int as without_nik,
        count(distinct kk) filter (where u5)::int as fam_u5,
        count(distinct kk) filter (where aided)::int as fam_u5_aided
      from (
        -- A family with a child under five, and whether any aid enrolment names someone of that KK (looked up for those families only).
        select sp.*, u.u5, case when u.u5 then exists (select 1 from stats_aid a where a.kk = sp.kk) else false end as aided
        from stats_people sp
        cross join lateral (select sp.kk is not null and sp.birth_date <= ${asOf} and sp.birth_date > (${asOf} - interval '60 months') as u5) u
        where sp.village_code = any(${list}::char(10)[])
      ) sp group by village_code
    ), r as (
      select r.village_code, count(*) filter (where ${LIVING})::int as records,
        count(*) filter (where ${LIVING} and r.citizen_id is not null)::int as identified,
        count(distinct r.citizen_id) filter (where ${LIVING} and sp.citizen_id is not null)::int as placed_here,
        count(*) filter (where ${LIVING} and r.warnings is not null and r.warnings <> '[]'::jsonb)::int as warned,
        max(r.updated_at) as last_received
      from resident_records r left join stats_people sp on sp.citizen_id = r.citizen_id and sp.village_code = r.village_code
      where r.village_code = any(${list}::char(10)[]) group by r.village_code
    )
    insert into stats_village (village_code, residents, records, duplicates, households, children_0_23m, children_0_59m,
      pregnant, women_15_49, without_nik, records_with_warnings, last_received_at, as_of, families_child_u5, families_child_u5_aided)
    select v.code, coalesce(p.residents, 0), coalesce(r.records, 0), coalesce(r.identified - r.placed_here, 0),
      coalesce(p.households, 0), coalesce(p.c23, 0), coalesce(p.c59, 0), coalesce(p.pregnant, 0), coalesce(p.w1549, 0),
      coalesce(p.without_nik, 0), coalesce(r.warned, 0), r.last_received, now(), coalesce(p.fam_u5, 0), coalesce(p.fam_u5_aided, 0)
    from unnest(${list}::char(10)[]) v(code)
    left join p on p.village_code = v.code
    left join r on r.village_code = v.code`);
  await tx.execute(sql`
    insert into stats_village_age (village_code, sex, age_group, residents)
    select village_code, coalesce(sex, '-'),
      case when birth_date is null or birth_date > ${asOf} then -1
        else least(15, floor(extract(year from age(${asOf}, birth_date)) / 5))::int end as g,
      count(*)::int
    from stats_people where village_code = any(${list}::char(10)[])
    group by 1, 2, 3`);
}

/**
 * Registrations whose facts one step of a refresh recomputes. The answers (facts, open items, due
 * times) are read and computed on the serving thread: 15,000 registrations marked in the 20 s between
 * two refreshes of a steady single push (1,000/s) held it ~110 ms at once, and every push meanwhile waited.
 */
export const SERVICES_STEP = 2_000;

/**
 * Services by ISO week (UTC): registrations and acknowledgements per service, agency and kecamatan (and
 * per agency and kecamatan, the few rows the weekly summary reads), the wait from registration to
 * acknowledgement as a histogram of 10 % buckets (bucket b >= 1 holds waits of 1.1^(b-1) to 1.1^b
 * seconds), so percentiles over any weeks come out within 5 %, and the items still waiting for the
 * agency's final answer with the moment their service level runs out.
 * Each registration's contribution is kept (stats_registration_facts); for the registrations given (null:
 * all) the figures change by the difference between their facts now and the facts kept, so a refresh
 * costs what changed, not the week it changed in (migration 0026).
 */
async function refreshServices(tx: Queryable, ids: number[] | null, services: StatsConfig['services']): Promise<void> {
  // Disjoint steps add up to the whole: each applies its own registrations' differences; the weeks
  // they touched are tidied and summed per agency once, after the last.
  const weeks = new Set<string>();
  if (ids === null) {
    for (const w of await refreshServicesOf(tx, null, services)) weeks.add(w);
  } else {
    for (let i = 0; i < ids.length; i += SERVICES_STEP) {
      for (const w of await refreshServicesOf(tx, ids.slice(i, i + SERVICES_STEP), services)) weeks.add(w);
    }
  }
  if (weeks.size === 0) return;
  const list = arrayParam([...weeks], 'date');
  // A group whose last registration left is gone, as a rebuild would not make it.
  await tx.execute(sql`delete from stats_service_week where week = any(${list}) and registrations = 0`);
  await tx.execute(sql`delete from stats_wait_hist where week = any(${list}) and n = 0`);
  await tx.execute(sql`delete from stats_agency_week where week = any(${list})`);
  await tx.execute(sql`
    insert into stats_agency_week (week, agency_code, kecamatan_code, registrations, acknowledged, waiting, service_rows)
    select week, agency_code, kecamatan_code, sum(registrations)::int, sum(acknowledged)::int, sum(waiting)::int, count(*)::int
    from stats_service_week where week = any(${list}) group by 1, 2, 3`);
}

/** One step: the given registrations' facts, figures and open items (null: all); answers the weeks it touched. */
async function refreshServicesOf(tx: Queryable, ids: number[] | null, services: StatsConfig['services']): Promise<string[]> {
  if (ids !== null && ids.length === 0) return [];
  const chosen = ids === null ? sql`select id from registrations` : sql`select unnest(${arrayParam(ids, 'int')}) as id`;
  // One statement reads the facts kept (its snapshot is taken before its own writes) and the facts now,
  // applies the differences to the service and wait figures and keeps the new facts.
  // A step reads its rows by key (`= any(array(...))`, whose length the planner cannot see, so it plans
  // index lookups): joined to a list of 2,000 ids, analyzed tables of 77,000 rows were hashed whole,
  // once per step (measured in `npm run bench`: three statements, 39 steps, 4.6 s of Postgres).
  const touched = await rows<{ week: string; delivery_id: number | null }>(tx, sql`
    with ids as materialized (${chosen}), cur as materialized (
      select g.id as registration_id, date_trunc('week', g.created_at at time zone 'UTC')::date as week, g.service_code,
        coalesce(g.route_agency, '-') as agency_code, left(g.village_code, 6)::char(6) as kecamatan_code,
        d.acked_at is not null as acknowledged, coalesce(d.status in ('waiting', 'claimed') and d.cancelled_at is null, false) as waiting,
        d.id as delivery_id, case when d.acked_at is not null then d.agency_code end as wait_agency,
        case when d.acked_at is null then null
          when extract(epoch from d.acked_at - g.created_at) < 1 then 0
          else 1 + floor(ln(extract(epoch from d.acked_at - g.created_at)) / ln(1.1))::int end::smallint as bucket
      from registrations g left join deliveries d on d.registration_id = g.id
      where ${ids === null ? sql`true` : sql`g.id = any(array(select id from ids))`}
    ), old as materialized (
      select f.* from stats_registration_facts f where f.registration_id = any(array(select id from ids))
    ), diff as materialized (
      select * from (select 1 as sign, cur.* from cur union all select -1, old.* from old) x
    ), services as (
      insert into stats_service_week as s (week, service_code, agency_code, kecamatan_code, registrations, acknowledged, waiting)
      select week, service_code, agency_code, kecamatan_code, sum(sign)::int, sum(sign * acknowledged::int)::int, sum(sign * waiting::int)::int
      from diff group by 1, 2, 3, 4
      having sum(sign) <> 0 or sum(sign * acknowledged::int) <> 0 or sum(sign * waiting::int) <> 0
      on conflict (week, service_code, agency_code, kecamatan_code) do update set registrations = s.registrations + excluded.registrations,
        acknowledged = s.acknowledged + excluded.acknowledged, waiting = s.waiting + excluded.waiting
    ), waits as (
      insert into stats_wait_hist as h (week, agency_code, kecamatan_code, bucket, n)
      select week, wait_agency, kecamatan_code, bucket, sum(sign)::int from diff where bucket is not null
      group by 1, 2, 3, 4 having sum(sign) <> 0
      on conflict (week, agency_code, kecamatan_code, bucket) do update set n = h.n + excluded.n
    ), kept as (
      insert into stats_registration_facts as f select * from cur
      on conflict (registration_id) do update set week = excluded.week, service_code = excluded.service_code, agency_code = excluded.agency_code,
        kecamatan_code = excluded.kecamatan_code, acknowledged = excluded.acknowledged, waiting = excluded.waiting,
        delivery_id = excluded.delivery_id, wait_agency = excluded.wait_agency, bucket = excluded.bucket
      where (f.week, f.service_code, f.agency_code, f.kecamatan_code, f.acknowledged, f.waiting, f.delivery_id, f.wait_agency, f.bucket)
        is distinct from (excluded.week, excluded.service_code, excluded.agency_code, excluded.kecamatan_code, excluded.acknowledged,
          excluded.waiting, excluded.delivery_id, excluded.wait_agency, excluded.bucket)
    ), dropped as (
      delete from stats_registration_facts f
      where f.registration_id = any(array(select registration_id from old where not exists (select 1 from cur where cur.registration_id = old.registration_id)))
    )
    select distinct to_char(week, 'YYYY-MM-DD') as week, delivery_id from diff`);
  if (touched.length === 0) return [];
  // Open = not cancelled and no final answer (selesai/ditolak), as serviceLevelOf flags an item overdue;
  // the due time is computed by the same dueAt (working days, WIB) so the figure and the item agree.
  const deliveries = arrayParam([...new Set(touched.flatMap((t) => (t.delivery_id === null ? [] : [t.delivery_id])))], 'int');
  const open = await rows<{ id: number; week: string; service_code: string; agency_code: string; kecamatan_code: string; created_at: Date }>(tx, sql`
    select d.id, to_char(date_trunc('week', g.created_at at time zone 'UTC'), 'YYYY-MM-DD') as week, g.service_code, d.agency_code,
      left(g.village_code, 6) as kecamatan_code, d.created_at
    from deliveries d join registrations g on g.id = d.registration_id
    where d.id = any(array(select unnest(${deliveries}))) and d.cancelled_at is null and (d.answer_status is null or d.answer_status not in ('selesai', 'ditolak'))`);
  const due = open.map((o) => {
    const s = services.get(o.service_code);
    return s ? dueAt(new Date(o.created_at), s.serviceLevelDays).toISOString() : null;
  });
  // Only what changed is written: the touched items that are no longer open go, new ones come, the
  // rest stay untouched. No anti-join against stats_open_items: just emptied by a rebuild, it looks
  // empty to the planner, which then scanned it once per item while filling it (48 s for 60,000 items);
  // the key finds the items already there, and the touched ones are looked up by key, as above.
  await tx.execute(sql`
    with cur as (
      select * from unnest(${arrayParam(open.map((o) => o.id), 'int')}, ${arrayParam(open.map((o) => o.week), 'date')},
        ${arrayParam(open.map((o) => o.service_code), 'text')}, ${arrayParam(open.map((o) => o.agency_code), 'text')},
        ${arrayParam(open.map((o) => o.kecamatan_code), 'text')}, ${arrayParam(due, 'timestamptz')})
        as c(delivery_id, week, service_code, agency_code, kecamatan_code, due_at)
    ), gone as (
      delete from stats_open_items o
      where o.delivery_id = any(array(select unnest(${deliveries}))) and not exists (select 1 from cur where cur.delivery_id = o.delivery_id)
    ), changed as (
      update stats_open_items o set week = cur.week, service_code = cur.service_code, agency_code = cur.agency_code,
        kecamatan_code = cur.kecamatan_code, due_at = cur.due_at
      from cur where o.delivery_id = any(array(select delivery_id from cur)) and cur.delivery_id = o.delivery_id
        and (o.week, o.service_code, o.agency_code, o.kecamatan_code, o.due_at)
          is distinct from (cur.week, cur.service_code, cur.agency_code, cur.kecamatan_code, cur.due_at)
    )
    insert into stats_open_items (delivery_id, week, service_code, agency_code, kecamatan_code, due_at)
    select * from cur on conflict (delivery_id) do nothing`);
  return touched.map((t) => t.week);
}

interface AidChanges {
  /** Villages whose aid-per-program figures change. */
  villages: string[];
  /** Citizens that gained or lost an enrolment (double enrolment is recomputed for them). */
  citizens: number[];
  /** KKs that gained or lost an enrolment (the villages of their children under five change). */
  kks: string[];
}

/**
 * Each aid enrolment resolved to the surviving citizen it names now (through its resident record or its
 * NIK link, then merges) with that citizen's KK: for the participants that changed, and for those whose
 * citizen changed (a merge, a split, a record moved). Answers what changed, old and new side both.
 */
async function refreshAid(tx: Queryable, participants: number[] | null, citizens: number[]): Promise<AidChanges> {
  let ids = participants;
  if (ids !== null && citizens.length) {
    const c = arrayParam(citizens, 'int');
    const touched = await rows<{ id: number }>(tx, sql`
      select participant_id as id from stats_aid where citizen_id = any(${c})
      union select p.id from aid_participants p where p.citizen_id = any(${c})
      union select p.id from resident_records rr join aid_participants p on p.resident_id = rr.id where rr.citizen_id = any(${c})`);
    ids = [...new Set([...ids, ...touched.map((r) => r.id)])];
  }
  if (ids !== null && ids.length === 0) return { villages: [], citizens: [], kks: [] };
  const only = ids === null ? sql`true` : sql`p.id = any(${arrayParam(ids, 'int')})`;
  type Side = { v: string; c: number | null; kk: string | null };
  const before = ids === null
    ? (await tx.execute(sql`delete from stats_aid`), [] as Side[])
    : await rows<Side>(tx, sql`delete from stats_aid where participant_id = any(${arrayParam(ids, 'int')}) returning village_code as v, citizen_id as c, kk`);
  const after = await rows<Side>(tx, sql`
    insert into stats_aid (participant_id, village_code, program_local_id, citizen_id, kk)
    select p.id, p.village_code, p.program_local_id, x.root, rc.kk
    from aid_participants p
    left join resident_records rr on rr.id = p.resident_id
    left join citizens lc on lc.id = coalesce(rr.citizen_id, p.citizen_id)
    cross join lateral (select case when lc.id is null then null when lc.merged_into is null then lc.id else stats_citizen_root(lc.id) end as root) x
    left join citizens rc on rc.id = x.root
    where ${only}
    returning village_code as v, citizen_id as c, kk`);
  const both = [...before, ...after];
  return {
    villages: [...new Set(both.map((r) => r.v))],
    citizens: [...new Set(both.flatMap((r) => (r.c === null ? [] : [r.c])))],
    kks: [...new Set(both.flatMap((r) => (r.kk === null ? [] : [r.kk])))],
  };
}

/** Enrolments, people (once per program) and unlinked enrolments per village and program, for the given villages (null: all). */
async function refreshAidVillages(tx: Queryable, villages: string[] | null): Promise<void> {
  if (villages !== null && villages.length === 0) return;
  const only = villages === null ? sql`true` : sql`a.village_code = any(${arrayParam(villages, 'text')}::char(10)[])`;
  if (villages === null) await tx.execute(sql`delete from stats_aid_village`);
  else await tx.execute(sql`delete from stats_aid_village where village_code = any(${arrayParam(villages, 'text')}::char(10)[])`);
  await tx.execute(sql`
    insert into stats_aid_village (village_code, program_key, program_name, enrolments, people, unlinked)
    select a.village_code, pr.program_key, min(pr.name), count(*)::int, count(distinct a.citizen_id)::int,
      count(*) filter (where a.citizen_id is null)::int
    from stats_aid a join aid_programs pr on pr.village_code = a.village_code and pr.local_id = a.program_local_id
    where ${only} group by 1, 2`);
}

/** Config's exclusive groups as a stable text, to see when they changed since the double-enrolment table was built. */
const groupsText = (groups: Map<string, string>) => JSON.stringify([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));

/**
 * Double-enrolment candidates: every enrolment in a running program whose person (the golden record)
 * holds another in the same program or its exclusive group. Recomputed for the given citizens (null: all).
 */
async function refreshMulti(tx: Queryable, citizens: number[] | null, groups: Map<string, string>): Promise<void> {
  if (citizens !== null && citizens.length === 0) return;
  const only = citizens === null ? sql`a.citizen_id is not null` : sql`a.citizen_id = any(${arrayParam(citizens, 'int')})`;
  if (citizens === null) await tx.execute(sql`delete from stats_aid_multi`);
  else await tx.execute(sql`delete from stats_aid_multi where citizen_id = any(${arrayParam(citizens, 'int')})`);
  await tx.execute(sql`
    insert into stats_aid_multi (participant_id, citizen_id, grp, village_code)
    select id, citizen, grp, village_code from (
      select a.participant_id as id, a.citizen_id as citizen, x.grp, a.village_code,
        count(*) over (partition by a.citizen_id, x.grp) as n
      from stats_aid a
      join aid_programs pr on pr.village_code = a.village_code and pr.local_id = a.program_local_id
      left join unnest(${arrayParam([...groups.keys()], 'text')}, ${arrayParam([...groups.values()], 'text')}) as g(key, code) on g.key = pr.program_key
      cross join lateral (select coalesce(g.code, pr.program_key) as grp) x
      where pr.active is not false and ${only}
    ) e where n > 1`);
}

async function today(tx: Queryable): Promise<string> {
  const [r] = await rows<{ d: string }>(tx, sql`select to_char(current_date, 'YYYY-MM-DD') as d`);
  return r!.d;
}

/**
 * Applies what changed since the last refresh. Villages of the configuration are always present in the
 * figures (with zeros), so they are the list recomputed when the day turns.
 */
export async function refreshStats(db: Db, config: StatsConfig): Promise<RefreshResult> {
  const t0 = performance.now();
  const allVillages = [...config.villages.keys()];
  const groups = groupOfProgram(config.aidGroups);
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${STATS_LOCK}) as ok`);
    if (!lock!.ok) return { ran: false, citizens: 0, villages: 0, newDay: false, ms: 0, steps: {}, marks: 0 };
    const timer = stepTimer();
    const day = await today(tx);
    const [state] = await rows<{ ages_as_of: string | null; aid_groups: string | null }>(tx, sql`
      select to_char(ages_as_of, 'YYYY-MM-DD') as ages_as_of, aid_groups from stats_state where id = 1`);
    let marksTaken = 0;
    const take = async <T>(table: MarkTable, value: SQL): Promise<T[]> => {
      const marks = await takeMarks<T>(tx, table, value);
      marksTaken += marks.n;
      return marks.values;
    };
    const ids = await take<number>('stats_dirty_citizens', sql`citizen_id`);
    const dirtyVillages = await take<string>('stats_dirty_villages', sql`village_code`);
    const moved = ids.length ? await refreshPeople(tx, ids) : [];
    timer.lap('people');
    // Aid before the villages: a KK that gained or lost aid changes the family figures of the villages its children live in.
    const participants = await take<number>('stats_dirty_participants', sql`participant_id`);
    const aid = await refreshAid(tx, participants, ids);
    await refreshAidVillages(tx, aid.villages);
    const groupsNow = groupsText(groups);
    await refreshMulti(tx, state?.aid_groups === groupsNow ? aid.citizens : null, groups);
    const families = aid.kks.length ? (await rows<{ v: string }>(tx, sql`
      select distinct village_code as v from stats_people where kk = any(${arrayParam(aid.kks, 'text')}::char(16)[])`)).map((r) => r.v) : [];
    timer.lap('aid');
    const newDay = state?.ages_as_of !== day;
    const villages = [...new Set([...(newDay ? allVillages : []), ...moved, ...dirtyVillages, ...families])];
    await refreshVillages(tx, villages, day);
    timer.lap('villages');
    const registrations = await take<number>('stats_dirty_registrations', sql`registration_id`);
    await refreshServices(tx, registrations, config.services);
    timer.lap('services');
    await tx.execute(sql`update stats_state set refreshed_at = now(), ages_as_of = ${day}::date, aid_groups = ${groupsNow} where id = 1`);
    return { ran: true, citizens: ids.length, villages: villages.length, newDay, ms: Math.round(performance.now() - t0), steps: timer.steps, marks: marksTaken };
  });
}

/** Recomputes every figure from the source tables (waits for a running refresh to end). */
export async function rebuildStats(db: Db, config: StatsConfig): Promise<RefreshResult> {
  const t0 = performance.now();
  const groups = groupOfProgram(config.aidGroups);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${STATS_LOCK})`);
    const timer = stepTimer();
    const day = await today(tx);
    await tx.execute(sql`delete from stats_dirty_citizens`);
    await tx.execute(sql`delete from stats_dirty_villages`);
    await refreshPeople(tx, null);
    timer.lap('people');
    await tx.execute(sql`delete from stats_dirty_participants`);
    await refreshAid(tx, null, []);
    await refreshAidVillages(tx, null);
    await refreshMulti(tx, null, groups);
    timer.lap('aid');
    const [n] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from stats_people`);
    const present = (await rows<{ v: string }>(tx, sql`select distinct village_code as v from stats_people`)).map((r) => r.v);
    const villages = [...new Set([...config.villages.keys(), ...present])];
    await tx.execute(sql`delete from stats_village`);
    await tx.execute(sql`delete from stats_village_age`);
    await refreshVillages(tx, villages, day);
    timer.lap('villages');
    await tx.execute(sql`delete from stats_dirty_registrations`);
    await tx.execute(sql`delete from stats_registration_facts`);
    await tx.execute(sql`delete from stats_service_week`);
    await tx.execute(sql`delete from stats_agency_week`);
    await tx.execute(sql`delete from stats_wait_hist`);
    await tx.execute(sql`delete from stats_open_items`);
    await refreshServices(tx, null, config.services);
    timer.lap('services');
    await tx.execute(sql`update stats_state set refreshed_at = now(), rebuilt_at = now(), ages_as_of = ${day}::date, aid_groups = ${groupsText(groups)} where id = 1`);
    // Every summary was just refilled: plan the page queries on its real size, not on the statistics of
    // an empty table (autovacuum may be off or late; measured: 2-5x slower Statistik reads before this).
    await tx.execute(sql`analyze stats_people, stats_aid, stats_aid_multi, stats_aid_village, stats_village, stats_village_age,
      stats_service_week, stats_agency_week, stats_wait_hist, stats_open_items, stats_registration_facts`);
    timer.lap('analyze');
    return { ran: true, citizens: n!.n, villages: villages.length, newDay: true, ms: Math.round(performance.now() - t0), steps: timer.steps, marks: 0 };
  });
}

/** Refreshes every `everyMs` until stopped (and retries unlinked aid participants); a failed run is logged and the next one tries again. */
export function startStatsRefresher(db: Db, config: StatsConfig, log: { warn(o: object, m: string): void }, everyMs = 20_000): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  let marksSinceVacuum = 0;
  const timer = setInterval(() => {
    if (running) return;
    // Aid participants whose resident arrived since are linked on the same beat.
    running = refreshStats(db, config)
      .then(async (r) => {
        marksSinceVacuum += r.marks;
        if (marksSinceVacuum < VACUUM_MARKS_AFTER) return;
        marksSinceVacuum = 0;
        await vacuumMarks(db).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'vacuum of the stats marks failed'));
      })
      .then(() => relinkUnlinked(db))
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'stats refresh failed'))
      .finally(() => { running = null; });
  }, everyMs);
  timer.unref();
  return async () => { clearInterval(timer); await running; };
}
