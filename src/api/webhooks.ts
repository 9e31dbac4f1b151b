import type { FastifyPluginAsync } from 'fastify';
import { regionDigits } from '../config/regionCode.js';
import {
  disableEndpoint, endpointAttempts, endpointOut, failedItems, listEndpoints, redeliver, rotateSecret, setEndpoint,
} from '../delivery/endpoints.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';
import { rethrowDelivery } from './deliveryProblem.js';

const endpointSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, kind: { enum: ['agency', 'village'] }, agency: { type: ['string', 'null'] },
    kecamatanCode: { type: ['string', 'null'] }, villageCode: { type: ['string', 'null'] }, url: { type: 'string' },
    maxInFlight: { type: 'integer' }, enabled: { type: 'boolean' }, previousSecretValidUntil: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
    items: {
      type: 'object', description: 'Pushed items of the endpoint by state',
      properties: { pending: { type: 'integer' }, sending: { type: 'integer' }, delivered: { type: 'integer' }, failed: { type: 'integer' } },
    },
  },
} as const;
const withSecret = {
  type: 'object',
  properties: {
    endpoint: endpointSchema,
    secret: { type: 'string', description: 'whsec_ + base64: the key receivers verify webhook-signature with (Standard Webhooks)' },
  },
} as const;
const url = { type: 'string', minLength: 8, maxLength: 2000, pattern: '^https?://[^\\s]+$', description: 'http(s) URL the hub POSTs to' } as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } } as const;

export const webhookRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db, config } = deps;
  const adminKey = requireKey(deps.keys, deps.limiter, ['admin']);
  const tags = ['webhooks'];

  app.get('/v1/webhooks', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Webhook endpoints of agencies and villages, with their items by state (secrets are never listed)',
      response: { 200: { type: 'object', properties: { endpoints: { type: 'array', items: endpointSchema } } } },
    },
  }, async () => ({ endpoints: await listEndpoints(db) }));

  app.put<{ Params: { agency: string }; Body: { url: string; kecamatan?: string; maxInFlight?: number } }>('/v1/webhooks/agencies/:agency', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Set the push endpoint of an agency (or of one kecamatan office of it); its waiting items are pushed from now on',
      description: 'Creates the endpoint with a new secret, or changes the URL of an existing one (keeping its secret). The secret is in the answer.',
      params: { type: 'object', required: ['agency'], properties: { agency: { type: 'string', maxLength: 32 } } },
      body: {
        type: 'object', required: ['url'], additionalProperties: false,
        properties: {
          url, kecamatan: { type: 'string', maxLength: 13, description: 'Kecamatan code (18.12.01 or 181201): this office only' },
          maxInFlight: { type: 'integer', minimum: 1, maximum: 256, description: 'Requests in flight at once to this endpoint (default 16)' },
        },
      },
      response: { 200: withSecret, 201: withSecret },
      problems: { 400: ['KECAMATAN_CODE_UNKNOWN'], 404: ['NOT_FOUND'] },
    },
  }, async (req, reply) => {
    if (!config.agencies.has(req.params.agency)) throw notFound({ id: `Instansi "${req.params.agency}"`, en: `Agency "${req.params.agency}"` }, 'agency');
    let kecamatan: string | null = null;
    if (req.body.kecamatan !== undefined) {
      kecamatan = regionDigits(req.body.kecamatan);
      if (!kecamatan || !config.kecamatans.has(kecamatan)) {
        throw new HubError(400, 'KECAMATAN_CODE_UNKNOWN', { id: `Kode kecamatan "${req.body.kecamatan}" tidak dikenal.`, en: `Unknown kecamatan code "${req.body.kecamatan}".` }, 'kecamatan');
      }
    }
    const { endpoint, created } = await setEndpoint(db, { kind: 'agency', agency: req.params.agency, kecamatan }, req.body.url, req.principal.label, req.body.maxInFlight);
    return reply.code(created ? 201 : 200).send({ endpoint: endpointOut(endpoint), secret: endpoint.secret });
  });

  app.put<{ Params: { village: string }; Body: { url: string } }>('/v1/webhooks/villages/:village', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Set the endpoint of a village system: it receives the agencies\' answers (registration.progress events)',
      params: { type: 'object', required: ['village'], properties: { village: { type: 'string', maxLength: 13 } } },
      body: { type: 'object', required: ['url'], additionalProperties: false, properties: { url } },
      response: { 200: withSecret, 201: withSecret },
      problems: { 400: ['VILLAGE_CODE_UNKNOWN'] },
    },
  }, async (req, reply) => {
    const village = regionDigits(req.params.village);
    if (!village || !config.villages.has(village)) {
      throw new HubError(400, 'VILLAGE_CODE_UNKNOWN', { id: `"${req.params.village}" bukan kode tiyuh/kelurahan 18.12.`, en: `"${req.params.village}" is not a village code of 18.12.` }, 'village');
    }
    const { endpoint, created } = await setEndpoint(db, { kind: 'village', village }, req.body.url, req.principal.label);
    return reply.code(created ? 201 : 200).send({ endpoint: endpointOut(endpoint), secret: endpoint.secret });
  });

  app.post<{ Params: { id: number }; Body: { graceHours?: number } }>('/v1/webhooks/:id/rotate', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Rotate the endpoint\'s secret: both secrets sign during the grace period (default 24 h)',
      params: idParam,
      body: { type: 'object', additionalProperties: false, properties: { graceHours: { type: 'number', minimum: 0, maximum: 168, default: 24 } } },
      response: { 200: withSecret },
      problems: { 404: ['NOT_FOUND'] },
    },
  }, async (req) => {
    const e = await rotateSecret(db, req.params.id, req.body?.graceHours ?? 24, req.principal.label).catch(rethrowDelivery);
    return { endpoint: endpointOut(e), secret: e.secret };
  });

  app.delete<{ Params: { id: number } }>('/v1/webhooks/:id', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Turn push off for the endpoint: its undelivered items go back to the pull queue',
      params: idParam,
      response: { 200: { type: 'object', properties: { endpoint: endpointSchema } } },
      problems: { 404: ['NOT_FOUND'] },
    },
  }, async (req) => ({ endpoint: endpointOut(await disableEndpoint(db, req.params.id, req.principal.label).catch(rethrowDelivery)) }));

  app.get<{ Params: { id: number }; Querystring: { limit?: number; deliveryId?: number } }>('/v1/webhooks/:id/attempts', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'The endpoint\'s latest attempts: outcome, response code, latency (bodies are never kept)',
      params: idParam,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, deliveryId: { type: 'integer', minimum: 1 } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            attempts: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' }, deliveryId: { type: ['integer', 'null'] }, eventId: { type: ['integer', 'null'] },
                  at: { type: 'string', format: 'date-time' }, outcome: { enum: ['delivered', 'failed'] },
                  responseCode: { type: ['integer', 'null'] }, latencyMs: { type: 'integer' }, error: { type: ['string', 'null'] },
                },
              },
            },
          },
        },
      },
    },
  }, async (req) => ({ attempts: await endpointAttempts(db, req.params.id, req.query.limit ?? 100, req.query.deliveryId) }));

  app.get<{ Querystring: { agency?: string; endpointId?: number; after?: number; limit?: number } }>('/v1/webhooks/failed', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Items parked as failed after a day of retries (oldest first)',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          agency: { type: 'string', maxLength: 32 }, endpointId: { type: 'integer', minimum: 1 },
          after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' }, registrationId: { type: 'integer' }, agency: { type: 'string' }, kecamatanCode: { type: ['string', 'null'] },
                  endpointId: { type: 'integer' }, attempts: { type: 'integer' }, firstAttemptAt: { type: ['string', 'null'] },
                  lastError: { type: ['string', 'null'] }, service: { type: 'string' }, villageCode: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  }, async (req) => ({ items: await failedItems(db, req.query) }));

  app.post<{ Body: { deliveryIds?: number[]; endpointId?: number; agency?: string } }>('/v1/webhooks/redeliver', {
    preHandler: adminKey,
    schema: {
      tags, summary: 'Push items again: every parked item (of an endpoint or agency), or the named items even if delivered',
      description: 'A parked item keeps its webhook-id (the receiver never took it); a delivered item named here gets a new one, so the receiver takes it again.',
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          deliveryIds: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'integer', minimum: 1, maximum: 2147483647 } },
          endpointId: { type: 'integer', minimum: 1 }, agency: { type: 'string', maxLength: 32 },
        },
      },
      response: { 200: { type: 'object', properties: { requeued: { type: 'integer' } } } },
    },
  }, async (req) => {
    return redeliver(db, req.body ?? {}, req.principal.label);
  });
};
