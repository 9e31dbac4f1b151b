/**
 * The figures, read from the summary tables (src/stats/refresh.ts) and scoped by region: one function
 * per table, called by the JSON API and the console alike.
 */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { villageScope, type Scope } from '../access/scope.js';
import type { HubConfig } from '../config/load.js';
import { regionDigits } from '../config/regionCode.js';

export class StatsError extends Error {
  constructor(readonly status: 400 | 403, readonly code: string, readonly text: { id: string; en: string }, readonly field: string) { super(text.en); }
}

/** A count shown to people below the kabupaten admin as "< 5" when it is 1 to 4 (small-cell protection). */
export type Count = number | '< 5';

export function protect(scope: Scope, n: number): Count {
  return scope.role !== 'admin' && n > 0 && n < 5 ? '< 5' : n;
}

export interface Region { kecamatan: string | null; village: string | null }

/** The villages a request may see: the scope's, narrowed by ?kecamatan= and ?village= (refused when outside it). */
export function statsVillages(scope: Scope, config: Pick<HubConfig, 'villages' | 'kecamatans'>, q: { kecamatan?: string; village?: string }): { villages: string[]; region: Region } {
  const allowed = villageScope(scope, config);
  let villages = [...config.villages.keys()].filter((v) => !allowed || allowed.has(v)).sort();
  const region: Region = { kecamatan: null, village: null };
  if (q.kecamatan !== undefined && q.kecamatan !== '') {
    const k = regionDigits(q.kecamatan);
    if (!k || !config.kecamatans.has(k)) {
      throw new StatsError(400, 'KECAMATAN_UNKNOWN', { id: `Kecamatan "${q.kecamatan}" tidak dikenal di Tulang Bawang Barat.`, en: `Unknown kecamatan "${q.kecamatan}".` }, 'kecamatan');
    }
    villages = villages.filter((v) => v.startsWith(k));
    if (villages.length === 0) throw outside('kecamatan', q.kecamatan);
    region.kecamatan = k;
  }
  if (q.village !== undefined && q.village !== '') {
    const v = regionDigits(q.village);
    if (!v || !config.villages.has(v)) {
      throw new StatsError(400, 'VILLAGE_UNKNOWN', { id: `Tiyuh "${q.village}" tidak dikenal.`, en: `Unknown village "${q.village}".` }, 'village');
    }
    if (!villages.includes(v)) throw outside('village', q.village);
    villages = [v];
    region.village = v;
  }
  return { villages, region };
}

const outside = (field: string, raw: string) => new StatsError(403, 'REGION_OUT_OF_SCOPE',
  { id: `Wilayah ${raw} di luar wilayah Anda.`, en: `Region ${raw} is outside your scope.` }, field);

/** When the summary tables were last brought up to date: the date every figure is as of. */
export async function statsAsOf(db: Queryable): Promise<string | null> {
  const [s] = await rows<{ refreshed_at: Date | null }>(db, sql`select refreshed_at from stats_state where id = 1`);
  return s?.refreshed_at ? new Date(s.refreshed_at).toISOString() : null;
}

export interface VillageFigures {
  villageCode: string; kecamatanCode: string; name: string;
  residents: Count; records: Count; duplicates: Count; households: Count;
  children0to23m: Count; children0to59m: Count; pregnant: Count; women15to49: Count; withoutNik: Count;
}

interface VillageRow {
  village_code: string; residents: number; records: number; duplicates: number; households: number; children_0_23m: number;
  children_0_59m: number; pregnant: number; women_15_49: number; without_nik: number; records_with_warnings: number; last_received_at: Date | null;
}

async function villageRows(db: Queryable, villages: string[]): Promise<Map<string, VillageRow>> {
  const found = await rows<VillageRow>(db, sql`select * from stats_village where village_code = any(${arrayParam(villages, 'text')}::char(10)[])`);
  return new Map(found.map((r) => [r.village_code, r]));
}

const zero = (code: string): VillageRow => ({
  village_code: code, residents: 0, records: 0, duplicates: 0, households: 0, children_0_23m: 0, children_0_59m: 0,
  pregnant: 0, women_15_49: 0, without_nik: 0, records_with_warnings: 0, last_received_at: null,
});

/** Population and stunting targeting per tiyuh: residents counted once where the golden record places them. */
export async function villageFigures(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans'>, scope: Scope, q: { kecamatan?: string; village?: string }) {
  const { villages, region } = statsVillages(scope, config, q);
  const byCode = await villageRows(db, villages);
  const p = (n: number) => protect(scope, n);
  const items: VillageFigures[] = villages.map((code) => {
    const r = byCode.get(code) ?? zero(code);
    return {
      villageCode: code, kecamatanCode: code.slice(0, 6), name: config.villages.get(code)?.name ?? code,
      residents: p(r.residents), records: p(r.records), duplicates: p(r.duplicates), households: p(r.households),
      children0to23m: p(r.children_0_23m), children0to59m: p(r.children_0_59m), pregnant: p(r.pregnant),
      women15to49: p(r.women_15_49), withoutNik: p(r.without_nik),
    };
  });
  const totals = { residents: 0, records: 0, duplicates: 0, households: 0, children0to23m: 0, children0to59m: 0, pregnant: 0, women15to49: 0, withoutNik: 0 };
  for (const code of villages) {
    const r = byCode.get(code) ?? zero(code);
    totals.residents += r.residents; totals.records += r.records; totals.duplicates += r.duplicates; totals.households += r.households;
    totals.children0to23m += r.children_0_23m; totals.children0to59m += r.children_0_59m; totals.pregnant += r.pregnant;
    totals.women15to49 += r.women_15_49; totals.withoutNik += r.without_nik;
  }
  return { asOf: await statsAsOf(db), region, totals, items };
}

export const AGE_GROUPS = [...Array.from({ length: 15 }, (_, i) => `${i * 5}-${i * 5 + 4}`), '75+'];

/**
 * The population pyramid of a kecamatan, a tiyuh or the whole scope: living residents by sex and
 * five-year age group. A single tiyuh's pyramid is a tiyuh-level table (small counts protected).
 */
export async function pyramid(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans'>, scope: Scope, q: { kecamatan?: string; village?: string }) {
  const { villages, region } = statsVillages(scope, config, q);
  const found = await rows<{ sex: string; age_group: number; n: number }>(db, sql`
    select sex, age_group, sum(residents)::int as n from stats_village_age
    where village_code = any(${arrayParam(villages, 'text')}::char(10)[]) group by sex, age_group`);
  const cell = (sex: string, g: number) => found.filter((r) => r.sex === sex && r.age_group === g).reduce((a, r) => a + r.n, 0);
  const p = (n: number) => (region.village ? protect(scope, n) : n);
  const groups = AGE_GROUPS.map((label, g) => ({ ageGroup: label, male: p(cell('M', g)), female: p(cell('F', g)) }));
  const unknownAge = found.filter((r) => r.age_group === -1).reduce((a, r) => a + r.n, 0);
  const unknownSex = found.filter((r) => r.sex !== 'M' && r.sex !== 'F' && r.age_group !== -1).reduce((a, r) => a + r.n, 0);
  return { asOf: await statsAsOf(db), region, groups, unknownAge: p(unknownAge), unknownSex: p(unknownSex) };
}

/**
 * Data quality per tiyuh, worst first: share of living records that came without warnings, open
 * quarantine, suspected duplicates waiting for staff, freshness, residents without a NIK.
 */
export async function dataQuality(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans'>, scope: Scope, q: { kecamatan?: string; village?: string }) {
  const { villages, region } = statsVillages(scope, config, q);
  const list = arrayParam(villages, 'text');
  const byCode = await villageRows(db, villages);
  const quarantined = new Map((await rows<{ v: string; n: number }>(db, sql`
    select village_code as v, count(*)::int as n from quarantine
    where status = 'open' and village_code = any(${list}::char(10)[]) group by 1`)).map((r) => [r.v, r.n]));
  // Each open case's village by primary key, one lookup per case: a join let the planner hash the whole
  // resident table for 2,000 cases at 300k (217 ms; the lookups take a few ms whatever the table size).
  const reviews = new Map((await rows<{ v: string; n: number }>(db, sql`
    select v, count(*)::int as n from (
      select case rc.record_kind
        when 'resident' then (select r.village_code from resident_records r where r.id = rc.record_id)
        else (select g.village_code from registrations g where g.id = rc.record_id) end as v
      from review_cases rc
      where rc.status = 'open'
    ) open_cases where v = any(${list}::char(10)[]) group by 1`)).map((r) => [r.v, r.n]));
  const now = Date.now();
  const items = villages.map((code) => {
    const r = byCode.get(code) ?? zero(code);
    const open = quarantined.get(code) ?? 0;
    const waiting = reviews.get(code) ?? 0;
    const clean = r.records - r.records_with_warnings;
    const validShare = r.records + open > 0 ? clean / (r.records + open) : null;
    const daysSince = r.last_received_at ? Math.floor((now - new Date(r.last_received_at).getTime()) / 86_400_000) : null;
    const withoutNikShare = r.residents > 0 ? r.without_nik / r.residents : null;
    // 100 = every record clean, fresh this week, no NIK missing, nothing waiting; a tiyuh that sent nothing scores 0.
    const score = r.records === 0 ? 0 : Math.round(
      50 * (validShare ?? 0)
      + 20 * (1 - (withoutNikShare ?? 1))
      + 20 * (daysSince === null ? 0 : daysSince <= 7 ? 1 : daysSince <= 30 ? 0.5 : 0)
      + 10 * (waiting + open === 0 ? 1 : Math.max(0, 1 - (waiting + open) / Math.max(10, r.records / 50))));
    return {
      villageCode: code, kecamatanCode: code.slice(0, 6), name: config.villages.get(code)?.name ?? code,
      score, validShare: validShare === null ? null : Math.round(validShare * 1000) / 1000,
      records: protect(scope, r.records), openQuarantine: protect(scope, open), duplicatesWaiting: protect(scope, waiting),
      lastReceivedAt: r.last_received_at ? new Date(r.last_received_at).toISOString() : null, daysSinceLastReceived: daysSince,
      withoutNik: protect(scope, r.without_nik),
    };
  });
  items.sort((a, b) => a.score - b.score || a.villageCode.localeCompare(b.villageCode));
  return { asOf: await statsAsOf(db), region, items: items.map((it, i) => ({ rank: i + 1, ...it })) };
}

/** Monday of the ISO week that holds `d`, as yyyy-mm-dd. */
function weekOf(d: Date): string {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7));
  return x.toISOString().slice(0, 10);
}

/** A percentile from a 10 % bucket histogram (refresh.ts): the bucket's geometric middle, in seconds. */
function percentileOf(hist: { bucket: number; n: number }[], p: number): number | null {
  const total = hist.reduce((a, h) => a + h.n, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const h of [...hist].sort((a, b) => a.bucket - b.bucket)) {
    seen += h.n;
    if (seen >= p * total) return h.bucket === 0 ? 0 : Math.round(1.1 ** (h.bucket - 0.5));
  }
  return null;
}

/** A page of a long table: `limit` rows from `offset`, and how many there are in all. */
export interface Page { limit?: number; offset?: number }

export const pageOf = (q: Page, max: number, dflt = 100) => ({
  limit: Math.min(max, Math.max(1, Math.floor(q.limit ?? dflt))), offset: Math.max(0, Math.floor(q.offset ?? 0)),
});

/**
 * Services over `weeks` weeks (1-26) ending this week: a weekly summary (registrations and
 * acknowledgements), per agency the wait from registration to acknowledgement (p50, p90, within 5 %)
 * and the items waiting for its final answer now, with those past their service level (any week); and
 * one page of the detail table per week, service, agency and kecamatan (tens of thousands of rows at a
 * kabupaten's size: never sent whole except as a file).
 */
export async function serviceFigures(db: Queryable, config: Pick<HubConfig, 'villages' | 'kecamatans'>, scope: Scope, q: { kecamatan?: string; weeks?: number } & Page, maxLimit = 1000) {
  const { villages, region } = statsVillages(scope, config, q);
  const kecamatans = [...new Set(villages.map((v) => v.slice(0, 6)))];
  const weeks = Math.min(26, Math.max(1, q.weeks ?? 12));
  const from = new Date(`${weekOf(new Date())}T00:00:00Z`);
  from.setUTCDate(from.getUTCDate() - 7 * (weeks - 1));
  const since = from.toISOString().slice(0, 10);
  const list = arrayParam(kecamatans, 'text');
  const page = pageOf(q, maxLimit);
  const [perWeek, hist, open, detail] = await Promise.all([
    rows<{ week: string; agency_code: string; registrations: number; acknowledged: number; waiting: number; service_rows: number }>(db, sql`
      select to_char(week, 'YYYY-MM-DD') as week, agency_code, sum(registrations)::int as registrations, sum(acknowledged)::int as acknowledged,
        sum(waiting)::int as waiting, sum(service_rows)::int as service_rows
      from stats_agency_week where week >= ${since}::date and kecamatan_code = any(${list}::char(6)[]) group by 1, 2`),
    rows<{ agency_code: string; bucket: number; n: number }>(db, sql`
      select agency_code, bucket, sum(n)::int as n from stats_wait_hist
      where week >= ${since}::date and kecamatan_code = any(${list}::char(6)[]) group by 1, 2`),
    rows<{ agency_code: string; open: number; overdue: number }>(db, sql`
      select agency_code, count(*)::int as open, count(*) filter (where due_at < now())::int as overdue
      from stats_open_items where kecamatan_code = any(${list}::char(6)[]) group by 1`),
    // Ordered as the primary key, so the page is read from the index and stops at `limit` rows. The
    // column is named with its table: a bare `week` would be the to_char output and sort every row.
    rows<{ week: string; service_code: string; agency_code: string; kecamatan_code: string; registrations: number; acknowledged: number }>(db, sql`
      select to_char(s.week, 'YYYY-MM-DD') as week, s.service_code, s.agency_code, s.kecamatan_code, s.registrations, s.acknowledged
      from stats_service_week s where s.week >= ${since}::date and s.kecamatan_code = any(${list}::char(6)[])
      order by s.week, s.service_code, s.agency_code, s.kecamatan_code limit ${page.limit} offset ${page.offset}`),
  ]);
  const weekly = new Map<string, { registrations: number; acknowledged: number }>();
  const agencies = new Map<string, { registrations: number; acknowledged: number; waiting: number; open: number; overdue: number; hist: { bucket: number; n: number }[] }>();
  const agencyOf = (code: string) => {
    let a = agencies.get(code);
    if (!a) { a = { registrations: 0, acknowledged: 0, waiting: 0, open: 0, overdue: 0, hist: [] }; agencies.set(code, a); }
    return a;
  };
  for (const r of perWeek) {
    const w = weekly.get(r.week) ?? { registrations: 0, acknowledged: 0 };
    w.registrations += r.registrations;
    w.acknowledged += r.acknowledged;
    weekly.set(r.week, w);
    if (r.agency_code === '-') continue;
    const a = agencyOf(r.agency_code);
    a.registrations += r.registrations;
    a.acknowledged += r.acknowledged;
    a.waiting += r.waiting;
  }
  for (const h of hist) agencyOf(h.agency_code).hist.push(h);
  for (const o of open) Object.assign(agencyOf(o.agency_code), { open: o.open, overdue: o.overdue });
  // The detail table's length, from the agency weeks (each knows how many service rows it sums).
  const total = perWeek.reduce((n, r) => n + r.service_rows, 0);
  return {
    asOf: await statsAsOf(db), region, from: since, weeks,
    weekly: [...weekly.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([week, w]) => ({ week, ...w })),
    agencies: [...agencies.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([code, a]) => ({
      agencyCode: code, registrations: a.registrations, acknowledged: a.acknowledged, waitP50Seconds: percentileOf(a.hist, 0.5), waitP90Seconds: percentileOf(a.hist, 0.9),
      stillWaiting: a.waiting, open: a.open, overdue: a.overdue,
    })),
    limit: page.limit, offset: page.offset, total,
    items: detail.map((r) => ({ week: r.week, serviceCode: r.service_code, agencyCode: r.agency_code === '-' ? null : r.agency_code, kecamatanCode: r.kecamatan_code, registrations: r.registrations, acknowledged: r.acknowledged })),
  };
}
