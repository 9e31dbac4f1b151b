import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { requestSync } from '../connectors/sync/runs.js';
import { sourceRuns, sourceStatuses } from '../connectors/sync/status.js';
import { syncQueueOf } from '../connectors/sync/queue.js';
import { checkMeaning, checkSource } from '../connectors/sync/check.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';

// The domain functions live with the sync engine; re-exported for the API's other plugins.
export { sourceStatuses, type SourceStatus } from '../connectors/sync/status.js';

const warningSchema = {
  type: ['object', 'null'],
  properties: {
    code: { type: 'string' }, message: { type: 'object', properties: { id: { type: 'string' }, en: { type: 'string' } } },
    runId: { type: 'integer' }, at: { type: ['string', 'null'] },
  },
} as const;

const sourceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: ['string', 'null'] }, villageCode: { type: ['string', 'null'] }, kecamatanCode: { type: ['string', 'null'] },
    connector: { type: 'string' }, enabled: { type: 'boolean' }, schedule: { type: ['string', 'null'] },
    lastSuccessAt: { type: ['string', 'null'] }, lagSeconds: { type: ['integer', 'null'] }, lastError: { type: ['string', 'null'] },
    records: { type: 'integer' }, running: { type: 'boolean' }, circuit: { enum: ['closed', 'open'] },
    warning: warningSchema,
  },
} as const;

const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, trigger: { type: 'string' }, status: { type: 'string' }, startedAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] },
    pages: { type: 'integer' }, recordsAccepted: { type: 'integer' }, recordsQuarantined: { type: 'integer' }, recordsReceived: { type: 'integer' },
    cursorFrom: {}, cursorTo: {}, error: { type: ['string', 'null'] }, warning: warningSchema, paging: {}, lagSeconds: { type: ['integer', 'null'] },
  },
} as const;

/** Sources and their sync runs; admin keys see all, kecamatan keys the sources of their kecamatan. */
export const sourceRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const staff = requireKey(deps.keys, deps.limiter, ['kecamatan']);
  const sourceOf = async (id: string, kecamatan: string | null) => {
    const [s] = await rows<{ id: string; kecamatan_code: string | null }>(deps.db, sql`select id, kecamatan_code from sources where id = ${id}`);
    if (!s || (kecamatan && s.kecamatan_code !== kecamatan)) throw notFound({ id: 'Sumber data', en: 'Source' }, 'id');
    return s;
  };
  const scope = (p: { role: string; kecamatanCode: string | null }) => {
    if (p.role === 'admin') return null;
    if (!p.kecamatanCode) throw forbidden('Hanya kunci admin atau kecamatan.', 'Admin or kecamatan keys only.');
    return p.kecamatanCode;
  };

  app.get('/v1/sources', {
    preHandler: staff,
    schema: { summary: 'Sources with last success, lag, last error, record count and the latest run\'s warning (zero rows, rows missing)', response: { 200: { type: 'array', items: sourceSchema } } },
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
    return sourceRuns(deps.ctx.db, req.params.id, req.query.limit);
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
    if (r.status === 'unknown') throw notFound({ id: 'Sumber data', en: 'Source' }, 'id');
    if (r.status === 'not-pull') {
      throw new HubError(409, 'SOURCE_NOT_PULL', { id: 'Sumber data ini bukan konektor tarik; tidak ada server yang diperiksa.', en: 'The source is not a pull connector; there is no server to check.' });
    }
    if (r.ok) return { ok: true, detail: r.detail };
    throw new HubError(r.code === 'SETTINGS_INVALID' ? 409 : r.code === 'LOGIN_PAUSED' ? 429 : 502, r.code, { id: checkMeaning(r.code), en: r.detail });
  });
};
