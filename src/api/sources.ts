import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { circuitOf, requestSync } from '../connectors/sync/runs.js';
import { syncQueueOf } from '../connectors/sync/queue.js';
import { checkMeaning, checkSource } from '../connectors/sync/check.js';
import type { PipelineContext } from '../pipeline/context.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';

export interface SourceStatus {
  id: string; name: string | null; villageCode: string | null; kecamatanCode: string | null; connector: string; enabled: boolean;
  schedule: string | null; lastSuccessAt: string | null; lagSeconds: number | null; lastError: string | null; records: number;
  running: boolean; circuit: 'closed' | 'open';
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** Every source with how far behind it is and why: what `GET /v1/sources` and `tiyuh-hub sources` show. Never settings. */
export async function sourceStatuses(ctx: PipelineContext, only?: { kecamatanCode?: string | null }): Promise<SourceStatus[]> {
  const db: Queryable = ctx.db;
  const list = await rows<{
    id: string; name: string | null; village_code: string | null; kecamatan_code: string | null; connector: string; enabled: boolean;
    schedule: string | null; last_success_at: Date | null; last_error: string | null; running: boolean;
  }>(db, sql`
    select s.id, s.name, s.village_code, s.kecamatan_code, s.connector, s.enabled, s.schedule, s.last_success_at, s.last_error,
      exists (select 1 from sync_runs r where r.source_id = s.id and r.status = 'running') as running
    from sources s ${only?.kecamatanCode ? sql`where s.kecamatan_code = ${only.kecamatanCode}` : sql``} order by s.id`);
  const counts = new Map((list.length ? await rows<{ source_id: string; n: number }>(db, sql`
    select source_id, count(*)::int as n from resident_records
    where source_id = any(${arrayParam(list.map((s) => s.id), 'text')}) and deleted_at is null group by source_id`) : []).map((c) => [c.source_id, c.n]));
  const now = Date.now();
  return Promise.all(list.map(async (s) => ({
    id: s.id, name: s.name, villageCode: s.village_code, kecamatanCode: s.kecamatan_code, connector: s.connector, enabled: s.enabled,
    schedule: s.schedule, lastSuccessAt: iso(s.last_success_at),
    lagSeconds: s.last_success_at ? Math.round((now - new Date(s.last_success_at).getTime()) / 1000) : null,
    lastError: s.last_error, records: counts.get(s.id) ?? 0, running: s.running, circuit: (await circuitOf(ctx, s.id, now)).state,
  })));
}

const sourceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: ['string', 'null'] }, villageCode: { type: ['string', 'null'] }, kecamatanCode: { type: ['string', 'null'] },
    connector: { type: 'string' }, enabled: { type: 'boolean' }, schedule: { type: ['string', 'null'] },
    lastSuccessAt: { type: ['string', 'null'] }, lagSeconds: { type: ['integer', 'null'] }, lastError: { type: ['string', 'null'] },
    records: { type: 'integer' }, running: { type: 'boolean' }, circuit: { enum: ['closed', 'open'] },
  },
} as const;

const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, trigger: { type: 'string' }, status: { type: 'string' }, startedAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] },
    pages: { type: 'integer' }, recordsAccepted: { type: 'integer' }, recordsQuarantined: { type: 'integer' },
    cursorFrom: {}, cursorTo: {}, error: { type: ['string', 'null'] }, lagSeconds: { type: ['integer', 'null'] },
  },
} as const;

/** Sources and their sync runs; admin keys see all, kecamatan keys the sources of their kecamatan. */
export const sourceRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const staff = requireKey(deps.keys, deps.limiter, ['kecamatan']);
  const sourceOf = async (id: string, kecamatan: string | null) => {
    const [s] = await rows<{ id: string; kecamatan_code: string | null }>(deps.db, sql`select id, kecamatan_code from sources where id = ${id}`);
    if (!s || (kecamatan && s.kecamatan_code !== kecamatan)) throw notFound('Sumber data', 'id');
    return s;
  };
  const scope = (p: { role: string; kecamatanCode: string | null }) => {
    if (p.role === 'admin') return null;
    if (!p.kecamatanCode) throw forbidden('Hanya kunci admin atau kecamatan.', 'Admin or kecamatan keys only.');
    return p.kecamatanCode;
  };

  app.get('/v1/sources', {
    preHandler: staff,
    schema: { summary: 'Sources with last success, lag, last error and record count', response: { 200: { type: 'array', items: sourceSchema } } },
  }, async (req) => sourceStatuses(deps.ctx, { kecamatanCode: scope(req.principal) }));

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>('/v1/sources/:id/runs', {
    preHandler: staff,
    schema: {
      summary: 'A source\'s sync runs, newest first',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
      response: { 200: { type: 'array', items: runSchema } },
    },
  }, async (req) => {
    await sourceOf(req.params.id, scope(req.principal));
    const list = await rows<{
      id: number; trigger: string; status: string; started_at: Date; finished_at: Date | null; pages: number; records_accepted: number;
      records_quarantined: number; cursor_from: unknown; cursor_to: unknown; error: string | null; prev_success: Date | null;
    }>(deps.db, sql`
      select r.*, (select max(p.finished_at) from sync_runs p where p.source_id = r.source_id and p.status = 'succeeded' and p.id < r.id) as prev_success
      from sync_runs r where r.source_id = ${req.params.id} order by r.id desc limit ${req.query.limit}`);
    return list.map((r) => ({
      id: r.id, trigger: r.trigger, status: r.status, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), pages: r.pages,
      recordsAccepted: r.records_accepted, recordsQuarantined: r.records_quarantined, cursorFrom: r.cursor_from, cursorTo: r.cursor_to, error: r.error,
      // How stale the source's data was when the run ended: zero after a success, time since the last success after a failure.
      lagSeconds: r.status === 'succeeded' ? 0 : r.prev_success ? Math.round(((r.finished_at ? new Date(r.finished_at).getTime() : Date.now()) - new Date(r.prev_success).getTime()) / 1000) : null,
    }));
  });

  app.post<{ Params: { id: string } }>('/v1/sources/:id/sync', {
    preHandler: staff,
    schema: { summary: 'Start a sync run now', response: { 202: { type: 'object', additionalProperties: true, description: 'The run started (or already running)' }, 200: { type: 'object', additionalProperties: true } }, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } },
  }, async (req, reply) => {
    const s = await sourceOf(req.params.id, scope(req.principal));
    const r = await requestSync(deps.ctx, syncQueueOf(deps.queues), req.params.id, 'manual');
    await deps.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${req.principal.label}, 'source.sync', 'sources', ${s.id}, ${s.kecamatan_code}, ${JSON.stringify({ outcome: r.status })}::jsonb)`);
    if (r.status === 'started') return reply.code(202).send({ runId: r.runId, status: 'started' });
    if (r.status === 'running') {
      throw new HubError(409, 'SYNC_RUNNING', { id: `Sinkronisasi #${r.runId} masih berjalan.`, en: `Run #${r.runId} is still running.` });
    }
    throw new HubError(409, 'SOURCE_DISABLED', { id: 'Sumber data tidak aktif atau bukan konektor tarik.', en: 'The source is disabled or not a pull connector.' });
  });

  app.post<{ Params: { id: string } }>('/v1/sources/:id/check', {
    preHandler: staff,
    schema: {
      summary: 'Can the hub reach the source\'s server and log in (nothing is pulled); a failure is a problem with the connector\'s code',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } },
    },
  }, async (req) => {
    await sourceOf(req.params.id, scope(req.principal));
    const r = await checkSource(deps.ctx, req.params.id, req.principal.label);
    if (r.status === 'unknown') throw notFound('Sumber data', 'id');
    if (r.status === 'not-pull') {
      throw new HubError(409, 'SOURCE_NOT_PULL', { id: 'Sumber data ini bukan konektor tarik; tidak ada server yang diperiksa.', en: 'The source is not a pull connector; there is no server to check.' });
    }
    if (r.ok) return { ok: true, detail: r.detail };
    throw new HubError(r.code === 'SETTINGS_INVALID' ? 409 : r.code === 'LOGIN_PAUSED' ? 429 : 502, r.code, { id: checkMeaning(r.code), en: r.detail });
  });
};
