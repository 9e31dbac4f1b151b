/** What waits for a person in their region now: the console's Beranda, counts and ages only. */
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { kecamatanScope, villageScope, type Scope } from '../access/scope.js';
import type { PipelineContext } from '../pipeline/context.js';
import { sourceStatuses } from './sources.js';
import { readBacklog, type Backlog } from '../pipeline/backlog.js';

export interface Worklist {
  review?: { open: number; oldest: Date | null };
  quarantine?: { open: number; oldest: Date | null };
  sources?: { total: number; failing: number; lagging: number; never: number };
  agency?: { waiting: number; oldest: Date | null; claimed: number; cancelled: number };
  /** The kabupaten's pipeline (admin only): records waiting, and those a stage keeps failing on (tiyuh_pipeline_records_failing). */
  pipeline?: Backlog;
}

/** A source is lagging when its last success is older than this. */
export const LAGGING_SECONDS = 24 * 3600;

export async function worklist(ctx: PipelineContext, scope: Scope): Promise<Worklist> {
  const out: Worklist = {};
  const kec = kecamatanScope(scope);
  if (scope.role === 'admin' || scope.role === 'kecamatan') {
    const [r] = await rows<{ n: number; oldest: Date | null }>(ctx.db, sql`
      select count(*)::int as n, min(created_at) as oldest from review_cases where status = 'open' ${kec ? sql`and kecamatan_code = ${kec}` : sql``}`);
    out.review = { open: r?.n ?? 0, oldest: r?.oldest ?? null };
    const list = await sourceStatuses(ctx, { kecamatanCode: kec, records: false });
    out.sources = {
      total: list.length,
      failing: list.filter((s) => s.lastError || s.circuit === 'open').length,
      lagging: list.filter((s) => s.lagSeconds !== null && s.lagSeconds > LAGGING_SECONDS).length,
      never: list.filter((s) => s.lastSuccessAt === null).length,
    };
  }
  if (scope.role !== 'agency') {
    const villages = villageScope(scope, ctx.config);
    const [q] = await rows<{ n: number; oldest: Date | null }>(ctx.db, sql`
      select count(*)::int as n, min(created_at) as oldest from quarantine where status = 'open'
      ${villages ? sql`and village_code = any(${arrayParam([...villages], 'text')}::char(10)[])` : sql``}`);
    out.quarantine = { open: q?.n ?? 0, oldest: q?.oldest ?? null };
  }
  if (scope.role === 'admin' || scope.role === 'agency') {
    const agency = scope.role === 'agency' ? scope.agencyCode : null;
    const [a] = await rows<{ waiting: number; claimed: number; cancelled: number; oldest: Date | null }>(ctx.db, sql`
      select count(*) filter (where status = 'waiting')::int as waiting,
        count(*) filter (where status = 'claimed' and cancelled_at is null)::int as claimed,
        count(*) filter (where status = 'claimed' and cancelled_at is not null)::int as cancelled,
        min(created_at) filter (where status = 'waiting') as oldest
      from deliveries where status in ('waiting', 'claimed')
      ${agency ? sql`and agency_code = ${agency}` : sql``} ${agency && scope.kecamatanCode ? sql`and kecamatan_code = ${scope.kecamatanCode}` : sql``}`);
    out.agency = { waiting: a?.waiting ?? 0, claimed: a?.claimed ?? 0, cancelled: a?.cancelled ?? 0, oldest: a?.oldest ?? null };
  }
  // The same figures as the metrics' alert, read from the in-flight partial indexes.
  if (scope.role === 'admin') out.pipeline = await readBacklog(ctx.db);
  return out;
}
