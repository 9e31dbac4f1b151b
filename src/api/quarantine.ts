import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { cleanText } from '../pipeline/validate/registration.js';
import { recordError } from '../pipeline/validate/recordError.js';
import { discardQuarantine, listQuarantine, replayQuarantine, type QuarantineScope } from '../pipeline/intake/quarantine.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';
import { requestedVillage, villageScope } from './residents.js';

// The domain functions live with intake; re-exported for the CLI's operations.
export { discardQuarantine, listQuarantine, replayQuarantine, type QuarantineItem, type QuarantineScope, type ReplayAnswer } from '../pipeline/intake/quarantine.js';

export const quarantineRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { config, ctx } = deps;
  const staff = requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']);
  const scopeOf = (p: { keyId: number } & Parameters<typeof villageScope>[0]): QuarantineScope => ({ villages: villageScope(p, config), apiKeyId: p.keyId });

  app.get<{ Querystring: { village?: string; kind?: string; status?: string; limit: number; offset: number } }>('/v1/quarantine', {
    preHandler: staff,
    schema: {
      summary: 'Records that failed validation, with their raw payload and errors; a village key sees only its own', response: { 200: { type: 'object', additionalProperties: true, description: '{total, items: quarantined records with payload and errors}' } },
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
    await ctx.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${`${p.role}-key:${p.keyId}`}, 'quarantine.read', 'village', ${village ?? p.villageCode ?? p.kecamatanCode}, ${village ?? p.villageCode ?? p.kecamatanCode},
              ${JSON.stringify({ label: p.label, count: result.items.length, ids: result.items.map((i) => i.id) })}::jsonb)`);
    return result;
  });

  app.post('/v1/quarantine/replay', {
    preHandler: staff,
    bodyLimit: 8 * 1024 * 1024,
    schema: {
      summary: 'Correct and replay quarantined records: [{id, payload?}]; payload replaces the stored raw record', response: { 200: { type: 'object', additionalProperties: true, description: 'One answer per id: accepted, rejected (back in quarantine with errors) or refused' } },
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

  app.post<{ Body: { ids: number[]; reason: string } }>('/v1/quarantine/discard', {
    preHandler: staff,
    schema: {
      summary: 'Discard open quarantined records that will not be corrected: {ids: [...], reason}; kept as discarded, audited',
      body: {
        type: 'object', required: ['ids', 'reason'], additionalProperties: false,
        properties: {
          ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'integer', minimum: 1, maximum: 2147483647 } },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
        },
      },
      response: {
        200: {
          type: 'object', description: 'One answer per id: discarded, or why not (not open, not found in scope)',
          properties: { records: { type: 'array', items: { type: 'object', additionalProperties: true } } },
        },
      },
    },
  }, async (req) => {
    const p = req.principal;
    const reason = cleanText(req.body.reason);
    if (!reason) throw new HubError(400, 'FIELD_EMPTY', recordError('FIELD_EMPTY', 'reason').message, 'reason');
    return { records: await discardQuarantine(ctx, req.body.ids, scopeOf(p), { name: `${p.role}-key:${p.keyId}`, apiKeyId: p.keyId }, reason) };
  });
};
