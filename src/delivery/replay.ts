import { sql, type SQL } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { HubConfig } from '../config/load.js';
import { regionDigits } from '../config/regionCode.js';
import type { PipelineContext } from '../pipeline/context.js';
import { routeRegistration } from '../pipeline/stages/route.js';

/** Which registrations to run again. Cancelled, quarantined and still-moving ones are never replayed. */
export interface ReplayFilter {
  village?: string;
  service?: string;
  status?: 'validated' | 'identified' | 'routed' | 'held';
  since?: string;
  until?: string;
  /** A code among the registration's errors or warnings. */
  errorCode?: string;
}

/** Why a replay filter was refused: which field, in both languages. */
export class ReplayFilterError extends Error {
  constructor(readonly code: 'VILLAGE_CODE_UNKNOWN' | 'SERVICE_UNKNOWN', readonly field: keyof ReplayFilter, readonly text: { id: string; en: string }) {
    super(text.en);
  }
}

/** A filter as a person wrote it (18.12.01.2002 or 1812012002), checked against the configuration; the API and the CLI both call this. */
export function resolveReplayFilter(config: HubConfig, input: ReplayFilter): ReplayFilter {
  const filter: ReplayFilter = { ...input };
  if (filter.village !== undefined) {
    const v = regionDigits(filter.village);
    if (!v || !config.villages.has(v)) {
      throw new ReplayFilterError('VILLAGE_CODE_UNKNOWN', 'village', { id: `"${filter.village}" bukan kode tiyuh/kelurahan 18.12.`, en: `"${filter.village}" is not a village code of 18.12.` });
    }
    filter.village = v;
  }
  if (filter.service !== undefined && !config.services.has(filter.service)) {
    throw new ReplayFilterError('SERVICE_UNKNOWN', 'service', { id: `Layanan "${filter.service}" tidak ada di katalog.`, en: `Service "${filter.service}" is not in the catalogue.` });
  }
  return filter;
}

export interface ReplayRequest {
  filter: ReplayFilter;
  from: 'identify' | 'route';
  dryRun: boolean;
  /** Send items to an agency that already has them again; without it an agency never gets the same registration twice. */
  redeliver: boolean;
  actor: string;
  limit?: number;
}

export interface ReplayAnswer {
  dryRun: boolean;
  from: 'identify' | 'route';
  matched: number;
  byStatus: Record<string, number>;
  /** Registrations whose agency queue changes under the current catalogue. */
  moves: { from: string; to: string; count: number }[];
  /** Registrations already at the right agency: left there (or sent again with redeliver). */
  unchanged: number;
  redelivered: number;
}

const REPLAYABLE = ['validated', 'identified', 'routed', 'held'];

function where(f: ReplayFilter): SQL {
  return sql.join([
    sql`r.status = any(${arrayParam(f.status ? [f.status] : REPLAYABLE, 'text')})`,
    f.village ? sql`r.village_code = ${f.village}` : sql`true`,
    f.service ? sql`r.service_code = ${f.service}` : sql`true`,
    f.since ? sql`r.created_at >= ${f.since}::timestamptz` : sql`true`,
    f.until ? sql`r.created_at < ${f.until}::timestamptz` : sql`true`,
    f.errorCode ? sql`(r.errors @> ${JSON.stringify([{ code: f.errorCode }])}::jsonb or r.warnings @> ${JSON.stringify([{ code: f.errorCode }])}::jsonb)` : sql`true`,
  ], sql` and `);
}

interface Row {
  id: number; status: string; service_code: string; village: string;
  delivery_id: number | null; queue: string | null; d_status: string | null; push_state: string | null;
}

/**
 * Runs registrations again from identify or route, e.g. after a catalogue change moved a service to
 * another agency. A registration whose queue changes has its item moved (reset, so the new agency
 * takes it from the start; the old queue no longer lists it); one whose queue stays keeps its item as
 * it is, so nothing reaches the same agency twice, unless `redeliver` asks for exactly that. A dry run
 * answers the same counts and changes nothing. Audited, with the filter and the counts.
 */
export async function replayRegistrations(ctx: PipelineContext, req: ReplayRequest): Promise<ReplayAnswer> {
  const limit = req.limit ?? 100_000;
  const answer = await ctx.db.transaction(async (tx) => {
    const found = await rows<Row>(tx, sql`
      select r.id, r.status, r.service_code, coalesce(r.applicant->>'villageCode', r.village_code) as village,
             d.id as delivery_id, d.queue, d.status as d_status, d.push_state
      from registrations r left join deliveries d on d.registration_id = r.id
      where ${where(req.filter)}
      order by r.id limit ${limit}
      ${req.dryRun ? sql`` : sql`for update of r skip locked`}`);
    const byStatus: Record<string, number> = {};
    const moves = new Map<string, number>();
    const moved: { delivery: number; agency: string; level: string; kec: string | null; queue: string }[] = [];
    const again: number[] = [];
    let unchanged = 0;
    for (const f of found) {
      byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
      if (f.delivery_id === null || f.d_status === 'withdrawn') continue;
      const r = routeRegistration(ctx.config, f.service_code, f.village);
      if (!r) continue;
      if (r.queue !== f.queue) {
        const key = `${f.queue}→${r.queue}`;
        moves.set(key, (moves.get(key) ?? 0) + 1);
        moved.push({ delivery: f.delivery_id, agency: r.agency, level: r.level, kec: r.kecamatanCode, queue: r.queue });
      } else {
        unchanged++;
        if (req.redeliver) again.push(f.delivery_id);
      }
    }
    const out: ReplayAnswer = {
      dryRun: req.dryRun, from: req.from, matched: found.length, byStatus,
      moves: [...moves].map(([k, count]) => { const [from, to] = k.split('→'); return { from: from!, to: to!, count }; }),
      unchanged, redelivered: again.length,
    };
    if (req.dryRun) return { out, ids: [] as number[] };
    if (moved.length) {
      await tx.execute(sql`
        update deliveries d set agency_code = u.agency, level = u.level, kecamatan_code = u.kec, queue = u.queue, status = 'waiting',
          claimed_by = null, lease_until = null, acked_at = null, cancelled_at = null, push_endpoint_id = null, push_state = null,
          push_attempts = 0, next_attempt_at = null, push_lease_until = null, first_attempt_at = null, last_error = null,
          answer_status = null, answer_document_number = null, answer_reason = null, answered_at = null
        from unnest(${arrayParam(moved.map((m) => m.delivery), 'int')}, ${arrayParam(moved.map((m) => m.agency), 'text')},
          ${arrayParam(moved.map((m) => m.level), 'text')}, ${arrayParam(moved.map((m) => m.kec), 'text')}, ${arrayParam(moved.map((m) => m.queue), 'text')})
          as u(id, agency, level, kec, queue)
        where d.id = u.id`);
    }
    if (again.length) {
      // Pulled items wait to be claimed again; pushed ones go out under a new webhook-id (the receiver must take them).
      await tx.execute(sql`
        update deliveries set status = case when push_endpoint_id is null then 'waiting' else status end,
          claimed_by = case when push_endpoint_id is null then null else claimed_by end, lease_until = null,
          push_state = case when push_endpoint_id is null then null else 'pending' end,
          push_generation = case when push_state = 'delivered' then push_generation + 1 else push_generation end,
          next_attempt_at = case when push_endpoint_id is null then null else now() end, push_attempts = 0, first_attempt_at = null
        where id = any(${arrayParam(again, 'int')})`);
    }
    const ids = found.map((f) => f.id);
    await tx.execute(sql`update registrations set status = ${req.from === 'identify' ? 'validated' : 'identified'}, updated_at = now()
      where id = any(${arrayParam(ids, 'int')})`);
    await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${req.actor}, 'replay', 'registrations', ${ids.slice(0, 1000).join(',')}, ${req.filter.village ?? null},
              ${JSON.stringify({ filter: req.filter, from: req.from, redeliver: req.redeliver, matched: out.matched, moves: out.moves, redelivered: out.redelivered })}::jsonb)`);
    return { out, ids };
  });
  if (answer.ids.length) {
    try {
      await ctx.queues.enqueue(req.from, answer.ids, `replay${Date.now()}`);
    } catch (err) {
      // Committed: the recovery sweep enqueues them when Redis is back.
      ctx.log.warn({ err: (err as Error).message, records: answer.ids.length }, 'replay enqueue failed; left to the recovery sweep');
    }
  }
  return answer.out;
}
