import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../../pipeline/context.js';
import type { RunPaging } from './paging.js';
import { circuitOf } from './runs.js';

/** Why the latest finished run of a source needs a person's eye, in both languages. */
export interface SourceWarning { code: string; message: { id: string; en: string }; runId: number; at: string | null }

export interface SourceStatus {
  id: string; name: string | null; villageCode: string | null; kecamatanCode: string | null; connector: string; enabled: boolean;
  schedule: string | null; lastSuccessAt: string | null; lagSeconds: number | null; lastError: string | null; records: number;
  running: boolean; circuit: 'closed' | 'open';
  /** The latest finished run's warning (zero rows, rows missing); null when it had none. */
  warning: SourceWarning | null;
}

export interface SyncRunView {
  id: number; trigger: string; status: string; startedAt: string | null; finishedAt: string | null; pages: number;
  recordsAccepted: number; recordsQuarantined: number; recordsReceived: number; cursorFrom: unknown; cursorTo: unknown;
  error: string | null; warning: SourceWarning | null; paging: RunPaging | null; lagSeconds: number | null;
}

/** What each warning code means for village and kecamatan staff. */
const MEANING: Record<string, string> = {
  ZERO_ROWS: 'Sinkronisasi terakhir tidak membawa satu pun penduduk, padahal sumber ini sebelumnya berisi data. Data yang sudah ada di hub tetap disimpan. Periksa kode wilayah sumber ini dan data di server desa.',
  ZERO_ROWS_FIRST_RUN: 'Sinkronisasi pertama sumber ini tidak menemukan penduduk. Periksa kode desa atau kecamatan sumber ini.',
  ROWS_MISSING: 'Sinkronisasi terakhir menerima lebih sedikit penduduk daripada jumlah yang dihitung server (data berubah selama sinkronisasi). Penduduk yang terlewat diambil pada sinkronisasi berikutnya.',
  LISTING_MOVING: 'Data penduduk di server terus berubah selama sinkronisasi; perubahan terakhir mungkin baru masuk pada sinkronisasi berikutnya.',
};

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** A run's stored warning (`CODE: reason`) as staff read it. */
export function warningOf(text: string | null, runId: number, at: Date | string | null): SourceWarning | null {
  if (!text) return null;
  const i = text.indexOf(':');
  const code = i > 0 ? text.slice(0, i) : text;
  return { code, message: { id: MEANING[code] ?? 'Sinkronisasi terakhir perlu diperiksa.', en: i > 0 ? text.slice(i + 1).trim() : text }, runId, at: iso(at) };
}

/**
 * Every source with how far behind it is, why, and whether its latest run needs attention: what
 * `GET /v1/sources`, `/metrics`, the console and `tiyuh-hub sources` show. Never settings.
 * `records: false` leaves each source's record count at 0: a count over the population that a page
 * of state (Beranda) does not show.
 */
export async function sourceStatuses(ctx: PipelineContext, only?: { kecamatanCode?: string | null; records?: boolean }): Promise<SourceStatus[]> {
  const db: Queryable = ctx.db;
  const list = await rows<{
    id: string; name: string | null; village_code: string | null; kecamatan_code: string | null; connector: string; enabled: boolean;
    schedule: string | null; last_success_at: Date | null; last_error: string | null; running: boolean;
    run_id: number | null; run_warning: string | null; run_finished_at: Date | null;
  }>(db, sql`
    select s.id, s.name, s.village_code, s.kecamatan_code, s.connector, s.enabled, s.schedule, s.last_success_at, s.last_error,
      exists (select 1 from sync_runs r where r.source_id = s.id and r.status = 'running') as running,
      f.id as run_id, f.warning as run_warning, f.finished_at as run_finished_at
    from sources s
    left join lateral (select id, warning, finished_at from sync_runs r where r.source_id = s.id and r.status <> 'running'
      order by r.id desc limit 1) f on true
    ${only?.kecamatanCode ? sql`where s.kecamatan_code = ${only.kecamatanCode}` : sql``} order by s.id`);
  const counts = new Map((list.length && only?.records !== false ? await rows<{ source_id: string; n: number }>(db, sql`
    select source_id, count(*)::int as n from resident_records
    where source_id = any(${arrayParam(list.map((s) => s.id), 'text')}) and deleted_at is null group by source_id`) : []).map((c) => [c.source_id, c.n]));
  const now = Date.now();
  return Promise.all(list.map(async (s) => ({
    id: s.id, name: s.name, villageCode: s.village_code, kecamatanCode: s.kecamatan_code, connector: s.connector, enabled: s.enabled,
    schedule: s.schedule, lastSuccessAt: iso(s.last_success_at),
    lagSeconds: s.last_success_at ? Math.round((now - new Date(s.last_success_at).getTime()) / 1000) : null,
    lastError: s.last_error, records: counts.get(s.id) ?? 0, running: s.running, circuit: (await circuitOf(ctx, s.id, now)).state,
    warning: s.run_id ? warningOf(s.run_warning, s.run_id, s.run_finished_at) : null,
  })));
}

/** A source's sync runs, newest first, with what each did and how stale the source was when it ended. */
/** A source's sync runs, newest first; `before` (a run id) gives the next page. */
export async function sourceRuns(db: Queryable, sourceId: string, limit: number, before?: number): Promise<SyncRunView[]> {
  const list = await rows<{
    id: number; trigger: string; status: string; started_at: Date; finished_at: Date | null; pages: number; records_accepted: number;
    records_quarantined: number; records_received: number; cursor_from: unknown; cursor_to: unknown; error: string | null;
    warning: string | null; paging: RunPaging | null; prev_success: Date | null;
  }>(db, sql`
    select r.*, (select max(p.finished_at) from sync_runs p where p.source_id = r.source_id and p.status = 'succeeded' and p.id < r.id) as prev_success
    from sync_runs r where r.source_id = ${sourceId} ${before ? sql`and r.id < ${before}` : sql``} order by r.id desc limit ${limit}`);
  return list.map((r) => ({
    id: r.id, trigger: r.trigger, status: r.status, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), pages: r.pages,
    recordsAccepted: r.records_accepted, recordsQuarantined: r.records_quarantined, recordsReceived: r.records_received,
    cursorFrom: r.cursor_from, cursorTo: r.cursor_to, error: r.error, warning: warningOf(r.warning, r.id, r.finished_at), paging: r.paging,
    // How stale the source's data was when the run ended: zero after a success, time since the last success after a failure.
    lagSeconds: r.status === 'succeeded' ? 0 : r.prev_success ? Math.round(((r.finished_at ? new Date(r.finished_at).getTime() : Date.now()) - new Date(r.prev_success).getTime()) / 1000) : null,
  }));
}
