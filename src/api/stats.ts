import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';
import { dataQuality, pyramid, serviceFigures, StatsError, villageFigures } from '../stats/queries.js';
import { aidReach, doubleEnrolments, unlinkedParticipants } from '../aid/doubleEnrolment.js';
import { exportTable, type ExportFormat, type ExportTable } from '../stats/export.js';
import { aidTable, doubleEnrolmentTable, pyramidTable, qualityTable, servicesTable, villagesTable, waitsTable } from '../stats/tables.js';
import { writeAudit } from '../audit/log.js';
import { kecamatanScope } from '../access/scope.js';

interface Query { kecamatan?: string; village?: string; format?: ExportFormat; weeks?: number; table?: string; limit?: number; offset?: number }

const querystring = {
  type: 'object', additionalProperties: false,
  properties: {
    kecamatan: { type: 'string', maxLength: 13, description: 'Kecamatan code (181201 or 18.12.01); a kecamatan key may name only its own' },
    village: { type: 'string', maxLength: 13, description: 'One tiyuh (10 digits or dotted)' },
    format: { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json', description: 'csv: `;`-separated UTF-8 with BOM (Indonesian Excel); xlsx' },
  },
} as const;

function toHub(err: unknown): never {
  if (err instanceof StatsError) throw new HubError(err.status, err.code, err.text, err.field);
  throw err;
}

async function send<T>(reply: FastifyReply, format: ExportFormat | 'json' | undefined, data: T, table: (d: T) => ExportTable) {
  if (!format || format === 'json') return data;
  const f = await exportTable(table(data), format);
  return reply.type(f.type).header('content-disposition', `attachment; filename="${f.filename}"`).send(f.body);
}

/** A long table is paged in JSON; a file holds all of it (up to EXPORT_ROWS rows). */
const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Rows of the detail table in this page (JSON); an export holds every row' },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;
const EXPORT_ROWS = 200_000;
const isFile = (q: Query) => q.format === 'csv' || q.format === 'xlsx';
const pageFor = (q: Query) => (isFile(q) ? { ...q, limit: EXPORT_ROWS, offset: 0 } : q);

const SMALL = 'Counts of 1-4 in a tiyuh-level table are "< 5" for every key but the kabupaten admin\'s.';

/** GET /v1/stats/*: figures from the summary tables, scoped like every read; each table also as CSV or XLSX. */
export const statsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db, config } = deps;
  const auth = requireKey(deps.keys, deps.limiter, ['kecamatan', 'village']);

  app.get<{ Querystring: Query }>('/v1/stats/villages', {
    preHandler: auth,
    schema: { summary: 'Population and stunting targeting per tiyuh: residents counted once (where the golden record places them), records received, duplicates removed, households, children 0-23 and 0-59 months, pregnant women, women 15-49, residents without NIK', description: SMALL, querystring, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req, reply) => {
    const r = await villageFigures(db, config, req.principal, req.query).catch(toHub);
    return send(reply, req.query.format, r, villagesTable);
  });

  app.get<{ Querystring: Query }>('/v1/stats/pyramid', {
    preHandler: auth,
    schema: { summary: 'Population pyramid: living residents by sex and five-year age group, for the scope, a kecamatan or a tiyuh', description: SMALL, querystring, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req, reply) => {
    const r = await pyramid(db, config, req.principal, req.query).catch(toHub);
    return send(reply, req.query.format, r, pyramidTable);
  });

  app.get<{ Querystring: Query }>('/v1/stats/quality', {
    preHandler: auth,
    schema: { summary: 'Data quality per tiyuh, worst first (rank 1 = call first): share of clean records, open quarantine, suspected duplicates waiting, last data received, residents without NIK', description: SMALL, querystring, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req, reply) => {
    const r = await dataQuality(db, config, req.principal, req.query).catch(toHub);
    return send(reply, req.query.format, r, qualityTable);
  });

  app.get<{ Querystring: Query }>('/v1/stats/services', {
    preHandler: auth,
    schema: {
      summary: 'Services: registrations per week; per agency the wait from registration to acknowledgement (p50, p90), items waiting for a final answer and those past their service level; one page of registrations per week, service, agency and kecamatan',
      description: '`weekly` and `agencies` cover the `weeks` weeks ending this week, except `open` and `overdue`, which count every item still without a final answer (selesai/ditolak) now. `items` is one page (`limit`, `offset`) of `total` rows.',
      response: {
        200: {
          type: 'object',
          properties: {
            asOf: { type: ['string', 'null'] }, from: { type: 'string' }, weeks: { type: 'integer' },
            region: { type: 'object', properties: { kecamatan: { type: ['string', 'null'] }, village: { type: ['string', 'null'] } } },
            weekly: { type: 'array', items: { type: 'object', properties: { week: { type: 'string' }, registrations: { type: 'integer' }, acknowledged: { type: 'integer' } } } },
            limit: { type: 'integer' }, offset: { type: 'integer' }, total: { type: 'integer' },
            items: { type: 'array', items: { type: 'object', properties: { week: { type: 'string' }, serviceCode: { type: 'string' }, agencyCode: { type: ['string', 'null'] }, kecamatanCode: { type: 'string' }, registrations: { type: 'integer' }, acknowledged: { type: 'integer' } } } },
            agencies: { type: 'array', items: { type: 'object', properties: { agencyCode: { type: 'string' }, registrations: { type: 'integer' }, acknowledged: { type: 'integer' }, waitP50Seconds: { type: ['integer', 'null'] }, waitP90Seconds: { type: ['integer', 'null'] }, stillWaiting: { type: 'integer' }, open: { type: 'integer', description: 'Items without a final answer now (any week)' }, overdue: { type: 'integer', description: 'Of those, past their service level' } } } },
          },
        },
      },
      querystring: { ...querystring, properties: { ...querystring.properties, ...paging, weeks: { type: 'integer', minimum: 1, maximum: 26, default: 12 }, table: { type: 'string', enum: ['weeks', 'agencies'], default: 'weeks', description: 'Which table a csv/xlsx export holds' } } },
    },
  }, async (req, reply) => {
    const r = await serviceFigures(db, config, req.principal, pageFor(req.query), EXPORT_ROWS).catch(toHub);
    return send(reply, req.query.format, r, req.query.table === 'agencies' ? waitsTable : servicesTable);
  });

  app.get<{ Querystring: Query }>('/v1/stats/aid', {
    preHandler: auth,
    schema: { summary: 'Aid recipients per program and tiyuh (people counted once per program), unlinked enrolments, and families with a child under five reached by any program', description: SMALL, querystring, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req, reply) => {
    const r = await aidReach(db, config, req.principal, req.query).catch(toHub);
    return send(reply, req.query.format, r, aidTable);
  });

  app.get<{ Querystring: Query }>('/v1/stats/double-enrolment', {
    preHandler: auth,
    schema: { summary: 'People enrolled twice in one program (or in programs config marks exclusive): both enrolments side by side (one page of `total` pairs), and people per program; the read is audited', querystring: { ...querystring, properties: { ...querystring.properties, ...paging } }, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req, reply) => {
    const r = await doubleEnrolments(db, config, req.principal, pageFor(req.query), EXPORT_ROWS).catch(toHub);
    await writeAudit(db, { actor: req.principal.label, action: 'aid.double_enrolment.read', targetType: 'aid_participants', targetId: null, regionCode: r.region.village ?? r.region.kecamatan ?? kecamatanScope(req.principal), detail: { keyId: req.principal.keyId, pairs: r.items.length, format: req.query.format ?? 'json' } });
    return send(reply, req.query.format, r, doubleEnrolmentTable);
  });

  app.get<{ Querystring: Query }>('/v1/aid-participants/unlinked', {
    preHandler: auth,
    schema: { summary: 'Aid participants the hub could not link to a citizen (kept, listed for the village to fix); the read is audited', querystring, response: { 200: { type: 'object', additionalProperties: true, description: 'JSON; with format=csv or xlsx the same table as a file' } } },
  }, async (req) => {
    const r = await unlinkedParticipants(db, config, req.principal, req.query).catch(toHub);
    await writeAudit(db, { actor: req.principal.label, action: 'aid.unlinked.read', targetType: 'aid_participants', targetId: null, regionCode: r.region.village ?? r.region.kecamatan ?? kecamatanScope(req.principal), detail: { keyId: req.principal.keyId, rows: r.items.length } });
    return r;
  });
};
