import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ackItem, claimItems, listItems, type ItemRow, type ItemStatus, type QueueScope } from '../agency/items.js';
import { regionDigits } from '../config/regionCode.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';
import { ANSWER_STATUSES, answerItem, type AnswerStatus } from '../delivery/answers.js';
import { serviceLevelOf } from '../delivery/progress.js';
import { rethrowDelivery } from './deliveryProblem.js';
import type { HubConfig } from '../config/load.js';

const itemOut = (config: HubConfig, r: ItemRow) => ({
  id: r.id, registrationId: r.registration_id, queue: r.queue, kecamatanCode: r.kecamatan_code, status: r.status,
  attempts: r.attempts, leaseUntil: r.lease_until ? new Date(r.lease_until).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(), service: r.service_code, externalId: r.external_id,
  villageCode: r.village_code, submittedAt: r.submitted_at ? new Date(r.submitted_at).toISOString() : null,
  identity: r.identity, citizenId: r.citizen_id,
  // The village cancelled it after the agency had taken it: the agency decides what to do with it.
  cancelledAt: r.cancelled_at ? new Date(r.cancelled_at).toISOString() : null,
  pushState: r.push_state,
  answer: r.answer_status
    ? { status: r.answer_status, documentNumber: r.answer_document_number, at: r.answered_at ? new Date(r.answered_at).toISOString() : null }
    : null,
  ...serviceLevelOf(config, r.service_code, new Date(r.created_at), r.answer_status),
});

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const itemProperties = {
  id: { type: 'integer' }, registrationId: { type: 'integer' }, queue: { type: 'string', description: 'kab:<agency> or kec:<kecamatan>:<agency>' },
  kecamatanCode: { type: ['string', 'null'] }, status: { enum: ['waiting', 'claimed', 'acked', 'withdrawn'] }, attempts: { type: 'integer' },
  leaseUntil: nullableTime, createdAt: { type: 'string', format: 'date-time' }, service: { type: 'string' }, externalId: { type: 'string' },
  villageCode: { type: 'string' }, submittedAt: nullableTime, identity: { type: ['string', 'null'] }, citizenId: { type: ['integer', 'null'] },
  cancelledAt: nullableTime,
  pushState: { type: ['string', 'null'], description: 'pending, sending, delivered or failed when the agency takes items by webhook' },
  answer: {
    type: ['object', 'null'],
    properties: { status: { type: 'string' }, documentNumber: { type: ['string', 'null'] }, at: nullableTime },
  },
  dueAt: { type: ['string', 'null'], description: 'End of the service level (working days after routing)' },
  overdue: { type: 'boolean' },
} as const;
const itemList = { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: itemProperties } } } } as const;
const claimedList = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...itemProperties,
          applicant: { type: 'object', additionalProperties: true, description: 'The applicant as the village sent it (personal data: the claim is audited)' },
          details: { type: ['object', 'null'], additionalProperties: true },
        },
      },
    },
  },
} as const;

export const agencyQueueRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;
  const agencyKey = requireKey(deps.keys, deps.limiter, ['agency']);
  const agencyParam = { type: 'object', required: ['agency'], properties: { agency: { type: 'string', maxLength: 32 } } } as const;

  // Agency systems post `claim` and `ack` with Content-Type: application/json and often no body at all
  // (or `{}`); an empty body means "no options" here rather than malformed JSON.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim() === '') done(null, undefined);
    else json(req, body as string, done);
  });
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && req.body == null) req.body = {};
  });

  /** The agency in the path must be the key's; a kecamatan operator's key also fixes the kecamatan. */
  function scope(req: FastifyRequest, agency: string, kecamatan?: string): QueueScope {
    if (!deps.config.agencies.has(agency)) throw notFound({ id: `Instansi "${agency}"`, en: `Agency "${agency}"` }, 'agency');
    const p = req.principal;
    if (p.role !== 'admin' && p.agencyCode !== agency) throw forbidden('Kunci ini milik instansi lain.', 'This key belongs to another agency.');
    let kec: string | null = null;
    if (kecamatan !== undefined) {
      kec = regionDigits(kecamatan);
      if (!kec || !deps.config.kecamatans.has(kec)) {
        throw new HubError(400, 'KECAMATAN_CODE_UNKNOWN', { id: `Kode kecamatan "${kecamatan}" tidak dikenal.`, en: `Unknown kecamatan code "${kecamatan}".` }, 'kecamatan');
      }
    }
    if (p.role === 'agency' && p.kecamatanCode) {
      if (kec && kec !== p.kecamatanCode) throw forbidden('Kunci ini hanya untuk kecamatan lain.', 'This key is scoped to another kecamatan.');
      kec = p.kecamatanCode;
    }
    return { agency, kecamatan: kec };
  }

  app.get<{ Params: { agency: string }; Querystring: { kecamatan?: string; status?: string; limit?: number; after?: number } }>('/v1/agencies/:agency/items', {
    preHandler: agencyKey,
    schema: {
      summary: 'Items in the agency queue (waiting by default), oldest first; `cancelled`: claimed or acknowledged items the village cancelled since',
      params: agencyParam,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          kecamatan: { type: 'string', maxLength: 13 }, status: { enum: ['waiting', 'claimed', 'acked', 'cancelled'], default: 'waiting' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, after: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 200: itemList },
      problems: { 400: ['KECAMATAN_CODE_UNKNOWN'], 404: ['NOT_FOUND'] },
    },
  }, async (req) => {
    const s = scope(req, req.params.agency, req.query.kecamatan);
    const items = await listItems(db, s, { status: (req.query.status ?? 'waiting') as ItemStatus, after: req.query.after ?? 0, limit: req.query.limit ?? 100 });
    return { items: items.map((r) => itemOut(deps.config, r)) };
  });

  app.post<{ Params: { agency: string }; Body: { max?: number; kecamatan?: string; leaseSeconds?: number } }>('/v1/agencies/:agency/items/claim', {
    preHandler: agencyKey,
    schema: {
      summary: 'Lease up to `max` waiting items (or items whose lease ran out, unless the village cancelled them); answers them with the applicant',
      params: agencyParam,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          max: { type: 'integer', minimum: 1, maximum: 500, default: 10 },
          kecamatan: { type: 'string', maxLength: 13 },
          leaseSeconds: { type: 'integer', minimum: 10, maximum: 86400, default: 300 },
        },
      },
      response: { 200: claimedList },
      problems: { 400: ['KECAMATAN_CODE_UNKNOWN'], 404: ['NOT_FOUND'] },
    },
  }, async (req) => {
    const body = req.body ?? {};
    const s = scope(req, req.params.agency, body.kecamatan);
    const claimed = await claimItems(db, s, { max: body.max ?? 10, leaseSeconds: body.leaseSeconds ?? 300 }, { actor: req.principal.label, keyId: req.principal.keyId });
    return { items: claimed.map((r) => ({ ...itemOut(deps.config, r), applicant: r.applicant, details: r.details })) };
  });

  app.post<{ Params: { agency: string; id: number } }>('/v1/agencies/:agency/items/:id/ack', {
    preHandler: agencyKey,
    schema: {
      summary: 'Acknowledge a claimed item: the agency has taken the registration',
      params: { type: 'object', required: ['agency', 'id'], properties: { agency: { type: 'string', maxLength: 32 }, id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
      response: { 200: { type: 'object', properties: { id: { type: 'integer' }, status: { const: 'acked' }, cancelledAt: nullableTime } } },
      problems: { 404: ['NOT_FOUND'], 409: ['ITEM_NOT_CLAIMED'] },
    },
  }, async (req) => {
    const s = scope(req, req.params.agency);
    const r = await ackItem(db, s, req.params.id, { actor: req.principal.label, keyId: req.principal.keyId });
    if (r.status === 'not-found') throw notFound({ id: 'Item antrean', en: 'Queue item' }, 'id');
    if (r.status === 'not-claimed') {
      throw new HubError(409, 'ITEM_NOT_CLAIMED', { id: 'Item harus diklaim sebelum dikonfirmasi.', en: 'Claim the item before acknowledging it.' }, 'id');
    }
    // A cancelled item may still be acknowledged (the agency has it); the answer says it was cancelled.
    return { id: r.id, status: 'acked', cancelledAt: r.cancelledAt ? new Date(r.cancelledAt).toISOString() : null };
  });

  app.post<{ Params: { agency: string; id: number }; Body: { status: AnswerStatus; documentNumber?: string; reason?: string } }>('/v1/agencies/:agency/items/:id/status', {
    preHandler: agencyKey,
    schema: {
      tags: ['agencies'],
      summary: 'The agency\'s answer on an item: diterima → diproses → selesai (document number) | ditolak (reason); the village sees it',
      description: 'Steps go forward only (one may be skipped); selesai and ditolak are final. Repeating the current status changes nothing. '
        + 'An answer on a claimed item acknowledges it. The same answer may come in the 2xx reply to a webhook push: {"status": ..., "documentNumber": ..., "reason": ...}.',
      params: { type: 'object', required: ['agency', 'id'], properties: { agency: { type: 'string', maxLength: 32 }, id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
      body: {
        type: 'object', required: ['status'], additionalProperties: false,
        properties: {
          status: { enum: [...ANSWER_STATUSES] },
          documentNumber: { type: 'string', minLength: 1, maxLength: 100, description: 'Number of the document issued (with selesai)' },
          reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Why the agency refused (required with ditolak)' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, registrationId: { type: 'integer' }, status: { type: 'string', description: 'Queue state of the item' },
            answer: {
              type: 'object',
              properties: { status: { type: 'string' }, documentNumber: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] }, at: { type: 'string' } },
            },
            changed: { type: 'boolean' },
          },
        },
      },
      problems: { 400: ['DOCUMENT_NUMBER_NOT_ALLOWED'], 404: ['NOT_FOUND'], 409: ['ITEM_NOT_TAKEN', 'ITEM_ANSWER_FINAL', 'ITEM_STATUS_BACKWARD'] },
    },
  }, async (req) => {
    const s = scope(req, req.params.agency);
    return answerItem(db, {
      deliveryId: req.params.id, agency: s.agency, kecamatan: s.kecamatan, status: req.body.status,
      documentNumber: req.body.documentNumber?.trim() || null, reason: req.body.reason?.trim() || null,
      actor: req.principal.label, channel: 'api',
    }).catch(rethrowDelivery);
  });
};
