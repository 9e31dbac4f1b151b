import type { FastifyPluginAsync } from 'fastify';
import { writeAudit } from '../audit/log.js';
import { listQuarantine, replayQuarantine, type QuarantineScope } from '../pipeline/intake/quarantine.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';
import { requestedVillage, villageScope } from './residents.js';

export const quarantineRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { config, ctx } = deps;
  const staff = requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']);
  const scopeOf = (p: { keyId: number } & Parameters<typeof villageScope>[0]): QuarantineScope => ({ villages: villageScope(p, config), apiKeyId: p.keyId });

  app.get<{ Querystring: { village?: string; kind?: string; status?: string; limit: number; offset: number } }>('/v1/quarantine', {
    preHandler: staff,
    schema: {
      summary: 'Records that failed validation, with their raw payload and errors; a village key sees only its own',
      querystring: {
        type: 'object',
        properties: {
          village: { type: 'string', maxLength: 13 },
          kind: { enum: ['resident', 'registration'] },
          status: { enum: ['open', 'replayed', 'discarded'], default: 'open' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
    },
  }, async (req) => {
    const p = req.principal;
    const village = req.query.village ? requestedVillage(p, config, req.query.village) : undefined;
    const result = await listQuarantine(ctx, scopeOf(p), { ...req.query, village });
    // Raw payloads hold personal data: the read is audited like a resident listing.
    const region = village ?? p.villageCode ?? p.kecamatanCode;
    await writeAudit(ctx.db, {
      actor: `${p.role}-key:${p.keyId}`, action: 'quarantine.read', targetType: 'village', targetId: region, regionCode: region,
      detail: { label: p.label, count: result.items.length, ids: result.items.map((i) => i.id) },
    });
    return result;
  });

  app.post('/v1/quarantine/replay', {
    preHandler: staff,
    bodyLimit: 8 * 1024 * 1024,
    schema: {
      summary: 'Correct and replay quarantined records: [{id, payload?}]; payload replaces the stored raw record',
      body: {
        type: 'array', minItems: 1,
        items: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 }, payload: { type: 'object' } } },
      },
    },
  }, async (req) => {
    const items = req.body as { id: number; payload?: unknown }[];
    if (items.length > 1000) {
      throw new HubError(413, 'BATCH_TOO_LARGE', { id: `Paling banyak 1000 data per permintaan (dikirim ${items.length}).`, en: `At most 1000 records per request (got ${items.length}).` });
    }
    return { records: await replayQuarantine(ctx, items, scopeOf(req.principal), { apiKeyId: req.principal.keyId }) };
  });
};
