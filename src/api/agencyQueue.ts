import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { agencyScope } from '../access/scope.js';
import { ackItem, claimItems, listItems, type ItemRow, type ItemStatus } from '../agency/items.js';
import { regionDigits } from '../config/regionCode.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';

const itemOut = (r: ItemRow) => ({
  id: r.id, registrationId: r.registration_id, queue: r.queue, kecamatanCode: r.kecamatan_code, status: r.status,
  attempts: r.attempts, leaseUntil: r.lease_until ? new Date(r.lease_until).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(), service: r.service_code, externalId: r.external_id,
  villageCode: r.village_code, submittedAt: r.submitted_at ? new Date(r.submitted_at).toISOString() : null,
  identity: r.identity, citizenId: r.citizen_id,
  // The village cancelled it after the agency had taken it: the agency decides what to do with it.
  cancelledAt: r.cancelled_at ? new Date(r.cancelled_at).toISOString() : null,
});

export const agencyQueueRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;
  const agencyKey = requireKey(deps.keys, deps.limiter, ['agency']);
  const agencyParam = { type: 'object', required: ['agency'], properties: { agency: { type: 'string', maxLength: 32 } } } as const;

  /** The agency in the path must be the key's; a kecamatan operator's key also fixes the kecamatan. */
  function scope(req: FastifyRequest, agency: string, kecamatan?: string): { agency: string; kecamatan: string | null } {
    if (!deps.config.agencies.has(agency)) throw notFound(`Instansi "${agency}"`, 'agency');
    const p = req.principal;
    const allowed = agencyScope(p, agency);
    if (!allowed.allowed) throw forbidden('Kunci ini milik instansi lain.', 'This key belongs to another agency.');
    let kec: string | null = null;
    if (kecamatan !== undefined) {
      kec = regionDigits(kecamatan);
      if (!kec || !deps.config.kecamatans.has(kec)) {
        throw new HubError(400, 'KECAMATAN_CODE_UNKNOWN', { id: `Kode kecamatan "${kecamatan}" tidak dikenal.`, en: `Unknown kecamatan code "${kecamatan}".` }, 'kecamatan');
      }
    }
    if (allowed.kecamatan) {
      if (kec && kec !== allowed.kecamatan) throw forbidden('Kunci ini hanya untuk kecamatan lain.', 'This key is scoped to another kecamatan.');
      kec = allowed.kecamatan;
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
    },
  }, async (req) => {
    const s = scope(req, req.params.agency, req.query.kecamatan);
    const items = await listItems(db, s, { status: (req.query.status ?? 'waiting') as ItemStatus, after: req.query.after ?? 0, limit: req.query.limit ?? 100 });
    return { items: items.map(itemOut) };
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
    },
  }, async (req) => {
    const body = req.body ?? {};
    const s = scope(req, req.params.agency, body.kecamatan);
    const claimed = await claimItems(db, s, { max: body.max ?? 10, leaseSeconds: body.leaseSeconds ?? 300 }, { actor: req.principal.label, keyId: req.principal.keyId });
    return { items: claimed.map((r) => ({ ...itemOut(r), applicant: r.applicant, details: r.details })) };
  });

  app.post<{ Params: { agency: string; id: number } }>('/v1/agencies/:agency/items/:id/ack', {
    preHandler: agencyKey,
    schema: {
      summary: 'Acknowledge a claimed item: the agency has taken the registration',
      params: { type: 'object', required: ['agency', 'id'], properties: { agency: { type: 'string', maxLength: 32 }, id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
    },
  }, async (req) => {
    const s = scope(req, req.params.agency);
    const r = await ackItem(db, s, req.params.id, { actor: req.principal.label, keyId: req.principal.keyId });
    if (r.status === 'not-found') throw notFound('Item antrean', 'id');
    if (r.status === 'not-claimed') {
      throw new HubError(409, 'ITEM_NOT_CLAIMED', { id: 'Item harus diklaim sebelum dikonfirmasi.', en: 'Claim the item before acknowledging it.' }, 'id');
    }
    // A cancelled item may still be acknowledged (the agency has it); the answer says it was cancelled.
    return { id: r.id, status: 'acked', cancelledAt: r.cancelledAt ? new Date(r.cancelledAt).toISOString() : null };
  });
};
