/** Sources and villages as the kabupaten watches them: status, lag, runs, and villages that never sent anything. */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';

// One query for a source's state, the sync engine's (with its run warnings): the console shows what the API shows.
export { sourceStatuses, type SourceStatus } from '../connectors/sync/status.js';

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** A source if it is in the kecamatan (null: any kecamatan). */
export async function sourceInScope(db: Queryable, id: string, kecamatan: string | null): Promise<{ id: string; kecamatan_code: string | null } | null> {
  const [s] = await rows<{ id: string; kecamatan_code: string | null }>(db, sql`select id, kecamatan_code from sources where id = ${id}`);
  return s && (!kecamatan || s.kecamatan_code === kecamatan) ? s : null;
}

export interface SyncRunOut {
  id: number; trigger: string; status: string; startedAt: string | null; finishedAt: string | null; pages: number;
  recordsAccepted: number; recordsQuarantined: number; cursorFrom: unknown; cursorTo: unknown; error: string | null; lagSeconds: number | null;
}

/** A source's sync runs, newest first (before `before`, for the next page). */
export async function sourceRuns(db: Queryable, sourceId: string, page: { limit: number; before?: number }): Promise<SyncRunOut[]> {
  const list = await rows<{
    id: number; trigger: string; status: string; started_at: Date; finished_at: Date | null; pages: number; records_accepted: number;
    records_quarantined: number; cursor_from: unknown; cursor_to: unknown; error: string | null; prev_success: Date | null;
  }>(db, sql`
    select r.*, (select max(p.finished_at) from sync_runs p where p.source_id = r.source_id and p.status = 'succeeded' and p.id < r.id) as prev_success
    from sync_runs r where r.source_id = ${sourceId} ${page.before ? sql`and r.id < ${page.before}` : sql``} order by r.id desc limit ${page.limit}`);
  return list.map((r) => ({
    id: r.id, trigger: r.trigger, status: r.status, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), pages: r.pages,
    recordsAccepted: r.records_accepted, recordsQuarantined: r.records_quarantined, cursorFrom: r.cursor_from, cursorTo: r.cursor_to, error: r.error,
    // How stale the source's data was when the run ended: zero after a success, time since the last success after a failure.
    lagSeconds: r.status === 'succeeded' ? 0 : r.prev_success ? Math.round(((r.finished_at ? new Date(r.finished_at).getTime() : Date.now()) - new Date(r.prev_success).getTime()) / 1000) : null,
  }));
}

export interface VillageActivity { villageCode: string; residents: number; lastReceivedAt: Date | null }

/** Per village: population records held and when anything last arrived from it (any channel). */
export async function villageActivity(db: Queryable, villages: string[]): Promise<Map<string, VillageActivity>> {
  if (villages.length === 0) return new Map();
  const found = await rows<{ village_code: string; residents: number; last: Date | null }>(db, sql`
    select v.code as village_code,
      (select count(*)::int from resident_records rr where rr.village_code = v.code and rr.deleted_at is null) as residents,
      (select max(i.received_at) from inbox i where i.village_code = v.code) as last
    from unnest(${arrayParam(villages, 'text')}) as v(code)`);
  return new Map(found.map((f) => [f.village_code, { villageCode: f.village_code, residents: f.residents, lastReceivedAt: f.last }]));
}
