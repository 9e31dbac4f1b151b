/** Sources and villages as the kabupaten watches them: status, lag, runs, and villages that never sent anything. */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';

// One query for a source's state, the sync engine's (with its run warnings): the console shows what the API shows.
export { sourceRuns, sourceStatuses, type SourceStatus, type SyncRunView } from '../connectors/sync/status.js';

/** A source if it is in the kecamatan (null: any kecamatan). */
export async function sourceInScope(db: Queryable, id: string, kecamatan: string | null): Promise<{ id: string; kecamatan_code: string | null } | null> {
  const [s] = await rows<{ id: string; kecamatan_code: string | null }>(db, sql`select id, kecamatan_code from sources where id = ${id}`);
  return s && (!kecamatan || s.kecamatan_code === kecamatan) ? s : null;
}

export interface VillageActivity { villageCode: string; residents: number; lastReceivedAt: Date | null }

/**
 * Per village: living population records held (the statistics' figure, kept current within a minute by
 * the stats refresher, rather than counting 330,000 records per page view) and when anything last
 * arrived from it (any channel; the inbox's (village_code, received_at) index). The codes travel as
 * char(10), the columns' type: compared as text no index applied (Sumber data took 17 s at 300,000).
 */
export async function villageActivity(db: Queryable, villages: string[]): Promise<Map<string, VillageActivity>> {
  if (villages.length === 0) return new Map();
  const found = await rows<{ village_code: string; residents: number; last: Date | null }>(db, sql`
    select v.code as village_code, coalesce(sv.records, 0)::int as residents,
      (select max(i.received_at) from inbox i where i.village_code = v.code) as last
    from unnest(${arrayParam(villages, 'text')}::char(10)[]) as v(code)
    left join stats_village sv on sv.village_code = v.code`);
  return new Map(found.map((f) => [f.village_code, { villageCode: f.village_code, residents: f.residents, lastReceivedAt: f.last }]));
}
