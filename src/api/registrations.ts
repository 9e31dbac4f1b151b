import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { MAX_BATCH } from '../pipeline/queues.js';
import { checkRegistration, cleanText, type RegistrationCheck } from '../pipeline/validate/registration.js';
import { recordError } from '../pipeline/validate/recordError.js';
import { storeRegistrations, type StoredRegistrations } from '../pipeline/intake/registrations.js';
import { cancelRegistrations } from '../pipeline/intake/cancelRegistrations.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, idempotencyKeyReused, notFound } from './problem.js';
import { priorSubmission, requestHash } from '../pipeline/intake/idempotency.js';
import { noteBulkWrite } from '../db/statistics.js';
import { isUniqueViolation } from '../db/errors.js';

const answerSchema = {
  type: 'object',
  properties: {
    submissionId: { type: 'integer' },
    records: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          externalId: { type: ['string', 'null'] }, id: { type: ['integer', 'null'] }, status: { enum: ['accepted', 'rejected'] },
          duplicate: { type: 'boolean' }, quarantineId: { type: 'integer' }, errors: { type: 'array' }, warnings: { type: 'array' },
        },
      },
    },
  },
} as const;

const cancelAnswerSchema = {
  type: 'object',
  properties: {
    records: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          externalId: { type: 'string' }, id: { type: ['integer', 'null'] },
          status: { enum: ['cancelled', 'already-cancelled', 'not-found'] }, afterClaim: { type: 'boolean' },
        },
      },
    },
  },
} as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export const registrationRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db, config } = deps;
  const villageKey = requireKey(deps.keys, deps.limiter, ['village']);

  app.post('/v1/registrations', {
    preHandler: villageKey,
    bodyLimit: 4 * 1024 * 1024,
    schema: {
      summary: 'Submit one registration, or a batch {"registrations": [...]} of at most 1,000',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 128 } } },
      response: { 202: answerSchema, 200: answerSchema },
    },
  }, async (req, reply) => {
    const p = req.principal;
    if (!p.villageCode) throw forbidden('Hanya kunci desa/tiyuh yang dapat mengirim pendaftaran.', 'Only a village key can submit registrations.');
    const village = p.villageCode;
    const idem = req.headers['idempotency-key'] as string | undefined;
    if (idem !== undefined && !IDEMPOTENCY_KEY.test(idem)) {
      throw new HubError(400, 'IDEMPOTENCY_KEY_INVALID', { id: 'Idempotency-Key harus 1–128 karakter ASCII yang terlihat.', en: 'Idempotency-Key must be 1–128 visible ASCII characters.' }, 'Idempotency-Key');
    }
    const hash = requestHash(req.body);
    if (idem) {
      const prior = await priorSubmission(db, p.keyId, idem, hash);
      if (prior.state === 'reused') throw idempotencyKeyReused();
      if (prior.state === 'answered') return reply.code(202).header('Idempotent-Replayed', 'true').send(prior.response);
    }

    const body = req.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new HubError(400, 'BODY_INVALID', { id: 'Isi kiriman harus satu objek pendaftaran atau {"registrations": [...]}.', en: 'The body must be one registration object or {"registrations": [...]}.' });
    }
    const batch = 'registrations' in body;
    if (batch) {
      const extra = Object.keys(body).find((k) => k !== 'registrations');
      if (extra) throw new HubError(400, 'FIELD_UNKNOWN', recordError('FIELD_UNKNOWN', extra).message, extra);
      if (!Array.isArray(body.registrations) || body.registrations.length === 0) {
        throw new HubError(400, 'BODY_INVALID', { id: 'registrations harus berupa larik berisi 1–1000 pendaftaran.', en: 'registrations must be an array of 1–1000 registrations.' }, 'registrations');
      }
    }
    const list = batch ? (body.registrations as unknown[]) : [body];
    if (list.length > MAX_BATCH) {
      throw new HubError(413, 'BATCH_TOO_LARGE', { id: `Satu kiriman paling banyak ${MAX_BATCH} pendaftaran (dikirim ${list.length}).`, en: `At most ${MAX_BATCH} registrations per request (got ${list.length}).` }, 'registrations');
    }
    const now = new Date();
    const checks: RegistrationCheck[] = list.map((r) => checkRegistration(r, config, village, now));
    const seen = new Set<string>();
    checks.forEach((c, i) => {
      if (!c.ok) return;
      if (seen.has(c.value.externalId)) {
        checks[i] = { ok: false, externalId: c.value.externalId, errors: [recordError('EXTERNAL_ID_DUPLICATE', 'externalId', c.value.externalId)] };
      }
      seen.add(c.value.externalId);
    });
    if (!batch && !checks[0]!.ok) {
      // A single registration is answered whole: refused, and nothing of it is stored.
      const errors = checks[0]!.errors;
      throw new HubError(422, errors[0]!.code, errors[0]!.message, errors[0]!.field, errors);
    }

    let newIds: number[] = [];
    let submission: StoredRegistrations['response'] | null;
    try {
      submission = await db.transaction(async (tx) => {
        const stored = await storeRegistrations(tx, {
          channel: 'push', villageCode: village, apiKeyId: p.keyId, idempotencyKey: idem ?? null, requestHash: hash, payload: body, list, checks,
        });
        newIds = stored?.newIds ?? [];
        return stored?.response ?? null;
      });
    } catch (err) {
      // postgres.js fails the whole transaction on a failed statement even when it was caught inside:
      // the Idempotency-Key committed by a concurrent request surfaces here.
      if (!(idem && isUniqueViolation(err))) throw err;
      submission = null;
    }
    if (!submission) {
      // A concurrent request with the same Idempotency-Key committed first.
      const prior = await priorSubmission(db, p.keyId, idem!, hash);
      if (prior.state === 'reused') throw idempotencyKeyReused();
      if (prior.state === 'answered') return reply.code(202).header('Idempotent-Replayed', 'true').send(prior.response);
      throw new HubError(409, 'IDEMPOTENCY_IN_PROGRESS', { id: 'Kiriman dengan Idempotency-Key ini sedang diproses; coba lagi sebentar.', en: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
        'Idempotency-Key', undefined, { 'Retry-After': '1' });
    }
    noteBulkWrite(db, 'registrations', newIds.length, deps.ctx.log);
    try {
      // Checked in the request (the sender gets the answer), so the records start at identify.
      await deps.queues.enqueue('identify', newIds, `inbox${submission.submissionId}`);
    } catch (err) {
      // Committed in Postgres already: the recovery sweep enqueues these records when Redis is back.
      req.log.warn({ err, submissionId: submission.submissionId }, 'enqueue failed; left to the recovery sweep');
    }
    return reply.code(202).send(submission);
  });

  app.post<{ Body: { externalIds: string[]; reason: string } }>('/v1/registrations/cancel', {
    // The key first: a caller without one learns nothing about the body's shape.
    preValidation: villageKey,
    schema: {
      summary: 'Cancel registrations of the key\'s village by externalId (at most 1,000); repeatable',
      body: {
        type: 'object', additionalProperties: false, required: ['externalIds', 'reason'],
        properties: {
          externalIds: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
        },
      },
      response: { 200: cancelAnswerSchema },
    },
  }, async (req) => {
    const p = req.principal;
    if (!p.villageCode) throw forbidden('Hanya kunci desa/tiyuh yang dapat membatalkan pendaftaran.', 'Only a village key can cancel registrations.');
    const { externalIds } = req.body;
    if (externalIds.length === 0) throw new HubError(400, 'FIELD_EMPTY', recordError('FIELD_EMPTY', 'externalIds').message, 'externalIds');
    if (externalIds.length > MAX_BATCH) {
      throw new HubError(413, 'BATCH_TOO_LARGE', { id: `Satu permintaan paling banyak ${MAX_BATCH} externalId (dikirim ${externalIds.length}).`, en: `At most ${MAX_BATCH} externalIds per request (got ${externalIds.length}).` }, 'externalIds');
    }
    const reason = cleanText(req.body.reason);
    if (reason === '') throw new HubError(400, 'FIELD_EMPTY', recordError('FIELD_EMPTY', 'reason').message, 'reason');
    const village = p.villageCode;
    const records = await db.transaction((tx) => cancelRegistrations(tx, {
      villageCode: village, externalIds, actor: p.label, reason, detail: { keyId: p.keyId, channel: 'push' },
    }));
    return { records };
  });

  app.get<{ Params: { id: number } }>('/v1/registrations/:id', {
    preHandler: requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']),
    schema: {
      summary: 'A registration\'s status and route',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
    },
  }, async (req) => {
    const p = req.principal;
    const [r] = await rows<{
      id: number; external_id: string; service_code: string; status: string; village_code: string; identity: string | null;
      route_agency: string | null; route_level: string | null; route_kecamatan: string | null; errors: unknown; warnings: unknown;
      created_at: Date; updated_at: Date;
    }>(db, sql`select id, external_id, service_code, status, village_code, identity, route_agency, route_level, route_kecamatan,
                errors, warnings, created_at, updated_at from registrations where id = ${req.params.id}`);
    const visible = r && (p.role === 'admin' || (p.villageCode ? r.village_code === p.villageCode : r.village_code.startsWith(p.kecamatanCode ?? '-')));
    if (!r || !visible) throw notFound('Pendaftaran', 'id');
    return {
      id: r.id, externalId: r.external_id, service: r.service_code, status: r.status, villageCode: r.village_code,
      ...(r.identity ? { identity: r.identity } : {}),
      ...(r.route_agency ? { route: { agency: r.route_agency, level: r.route_level, ...(r.route_kecamatan ? { kecamatanCode: r.route_kecamatan } : {}) } } : {}),
      ...(r.errors ? { errors: r.errors } : {}),
      ...(r.warnings ? { warnings: r.warnings } : {}),
      createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
    };
  });
};
