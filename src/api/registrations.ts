import type { FastifyPluginAsync } from 'fastify';
import { MAX_BATCH } from '../pipeline/queues.js';
import { checkRegistration, checkRegistrations, cleanText, registrationDocSchema, type RegistrationCheck } from '../pipeline/validate/registration.js';
import { recordError } from '../pipeline/validate/recordError.js';
import { storeRegistrations, type StoredRegistrations } from '../pipeline/intake/registrations.js';
import { cancelRegistrations } from '../pipeline/intake/cancelRegistrations.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, idempotencyKeyReused, notFound } from './problem.js';
import { findRegistration } from '../pipeline/registrationStatus.js';
import { requestedVillage, villageScope } from './residents.js';
import { priorSubmission, requestHash } from '../pipeline/intake/idempotency.js';
import { noteBulkWrite } from '../db/statistics.js';
import { handOff, type Handed } from '../pipeline/handoff.js';
import { localIdentify } from '../pipeline/localIdentify.js';
import { storableError } from '../runtime/safeError.js';
import { SinglePushCommitter } from '../pipeline/intake/groupCommit.js';
import { regionDigits } from '../config/regionCode.js';
import { registrationProgress, villageFeed } from '../delivery/progress.js';

const answerStatus = { enum: ['diterima', 'diproses', 'selesai', 'ditolak', null] } as const;
const registrationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, externalId: { type: 'string' }, service: { type: 'string' },
    status: { type: 'string', description: 'Pipeline status: accepted, validated, identified, routed, held, quarantined, cancelled' },
    villageCode: { type: 'string' }, identity: { type: 'string' },
    route: { type: 'object', properties: { agency: { type: 'string' }, level: { type: 'string' }, kecamatanCode: { type: 'string' } } },
    errors: { type: 'array', items: { type: 'object', additionalProperties: true } },
    warnings: { type: 'array', items: { type: 'object', additionalProperties: true } },
    progress: {
      type: 'object', description: 'The agency\'s side, once routed',
      properties: {
        agency: { type: 'string' }, kecamatanCode: { type: ['string', 'null'] }, status: answerStatus,
        documentNumber: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] }, answeredAt: { type: ['string', 'null'] },
        routedAt: { type: 'string' },
        delivery: { type: 'object', properties: { mode: { enum: ['pull', 'push'] }, state: { type: 'string' }, pushState: { type: ['string', 'null'] } } },
        dueAt: { type: ['string', 'null'], description: 'End of the service level (working days) of the service' },
        overdue: { type: 'boolean', description: 'Past the service level without selesai or ditolak' },
        history: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              status: { type: 'string' }, at: { type: 'string' }, documentNumber: { type: ['string', 'null'] },
              reason: { type: ['string', 'null'] }, channel: { enum: ['api', 'webhook'] },
            },
          },
        },
      },
    },
    createdAt: { type: 'string' }, updatedAt: { type: 'string' },
  },
} as const;

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
  const enqueue = async (newIds: number[], submissionId: number) => {
    try {
      // Checked in the request (the sender gets the answer), so the records start at identify.
      await deps.queues.enqueue('identify', newIds, `inbox${submissionId}`);
    } catch (err) {
      // Committed in Postgres already: the recovery sweep enqueues these records when Redis is back.
      deps.ctx.log.warn({ err, submissionId }, 'enqueue failed; left to the recovery sweep');
    }
  };
  const stored = (newIds: number[], handed: [number, Handed][]) => {
    noteBulkWrite(db, 'registrations', newIds.length, deps.ctx.log);
    // Before identify has them: this process's identify takes them without reading them back.
    handOff(db, handed);
  };
  const enqueueNew = async (newIds: number[], submissionId: number, handed: [number, Handed][]) => {
    stored(newIds, handed);
    await enqueue(newIds, submissionId);
  };
  // A group of single pushes goes to this process's own identify batcher when its workers run here
  // (localIdentify: no job, whose three Redis scripts per group were a tenth of the serving thread);
  // what the batcher fails, or hands back as it closes, becomes a job as before.
  const identifyGroup = async (newIds: number[], submissionId: number, handed: [number, Handed][]) => {
    const local = localIdentify(db);
    if (!local || newIds.length === 0) return enqueueNew(newIds, submissionId, handed);
    stored(newIds, handed);
    void local.submit('registration', newIds).then(
      (how) => (how === 'done' ? undefined : enqueue(newIds, submissionId)),
      (err: unknown) => {
        deps.ctx.log.warn({ err: storableError(err), submissionId, records: newIds.length }, 'identify failed in this process; the records go to the queue');
        return enqueue(newIds, submissionId);
      },
    );
  };
  const committer = new SinglePushCommitter(db, identifyGroup, { groupDb: deps.reusingPlans });

  app.post('/v1/registrations', {
    preHandler: villageKey,
    bodyLimit: 4 * 1024 * 1024,
    schema: {
      summary: 'Submit one registration, or a batch {"registrations": [...]} of at most 1,000',
      description: 'Each record is checked on its own: the answer (202) lists every record as accepted, with its id, or rejected, with its error codes; a rejected one is kept in quarantine for the village to fix.',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 128 } } },
      documentedBody: {
        oneOf: [registrationDocSchema, {
          type: 'object', required: ['registrations'], additionalProperties: false,
          properties: { registrations: { type: 'array', maxItems: 1000, items: registrationDocSchema } },
        }],
      },
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
    // Only a request with an Idempotency-Key is ever compared with another: the others skip the
    // stringify and hash of their body (a 1,000-record batch is ~400 KB).
    const hash = idem === undefined ? null : requestHash(req.body);
    const body = req.body as Record<string, unknown> | null;
    const now = new Date();
    // A valid single push goes to the group commit without looking its Idempotency-Key up first: the
    // group's statement sees a committed key itself and leaves the push to the lookup below (a round
    // trip per request saved). Anything else looks it up first, as a replay answers before any check.
    const singleCheck = body && typeof body === 'object' && !Array.isArray(body) && !('registrations' in body)
      ? checkRegistration(body, config, village, now) : null;
    if (idem && !singleCheck?.ok) {
      const prior = await priorSubmission(db, p.keyId, idem, hash!);
      if (prior.state === 'reused') throw idempotencyKeyReused();
      if (prior.state === 'answered') return reply.code(202).header('Idempotent-Replayed', 'true').send(prior.response);
    }

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
    const checks: RegistrationCheck[] = singleCheck ? [singleCheck] : checkRegistrations(list, config, village, now);
    if (!batch && !checks[0]!.ok) {
      // A single registration is answered whole: refused, and nothing of it is stored.
      const errors = checks[0]!.errors;
      throw new HubError(422, errors[0]!.code, errors[0]!.message, errors[0]!.field, errors);
    }

    let newIds: number[] = [];
    let handed: [number, Handed][] = [];
    let submission: StoredRegistrations['response'] | null;
    const single = checks[0]!;
    if (!batch && single.ok) {
      // Committed with the other single pushes of the moment, and enqueued with them (SinglePushCommitter).
      const stored = await committer.submit({
        villageCode: village, apiKeyId: p.keyId, idempotencyKey: idem ?? null, requestHash: hash, payload: body,
        value: single.value, warnings: single.warnings,
      });
      submission = stored?.response ?? null;
      if (submission) return reply.code(202).send(submission);
    } else try {
      submission = await db.transaction(async (tx) => {
        const stored = await storeRegistrations(tx, {
          channel: 'push', villageCode: village, apiKeyId: p.keyId, idempotencyKey: idem ?? null, requestHash: hash, payload: body, list, checks,
        });
        newIds = stored?.newIds ?? [];
        handed = stored?.handed ?? [];
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
      const prior = await priorSubmission(db, p.keyId, idem!, hash!);
      if (prior.state === 'reused') throw idempotencyKeyReused();
      if (prior.state === 'answered') return reply.code(202).header('Idempotent-Replayed', 'true').send(prior.response);
      throw new HubError(409, 'IDEMPOTENCY_IN_PROGRESS', { id: 'Kiriman dengan Idempotency-Key ini sedang diproses; coba lagi sebentar.', en: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
        'Idempotency-Key', undefined, { 'Retry-After': '1' });
    }
    noteBulkWrite(db, 'inbox', 1, deps.ctx.log);
    await enqueueNew(newIds, submission.submissionId, handed);
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

  const readKey = requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']);

  app.get<{ Params: { id: number } }>('/v1/registrations/:id', {
    preHandler: readKey,
    schema: {
      tags: ['registrations'],
      summary: 'A registration\'s status and route, and its progress at the agency with the history of answers',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
      response: { 200: registrationSchema },
      problems: { 404: ['NOT_FOUND'] },
    },
  }, async (req) => {
    const found = await findRegistration(db, { id: req.params.id }, villageScope(req.principal, config));
    if (!found) throw notFound({ id: 'Pendaftaran', en: 'Registration' }, 'id');
    const progress = (await registrationProgress(db, config, [found.id])).get(found.id);
    return { ...found, ...(progress ? { progress } : {}) };
  });

  // One listing, two questions: one registration by the village system's own externalId, or the feed of
  // a village's registrations changed since a moment (for village systems to poll).
  app.get<{ Querystring: { externalId?: string; village?: string; updatedSince?: string; after?: number; limit?: number } }>('/v1/registrations', {
    preHandler: readKey,
    schema: {
      tags: ['registrations'],
      summary: 'A registration by its externalId, or the feed of a village\'s registrations changed since a moment (status, route, agency answers), oldest change first',
      description: 'With `externalId`: that registration of the village (a kecamatan key names the village). With `updatedSince`: poll with the `next` of the previous answer; rows changed in the same instant are neither skipped nor repeated. A village key reads its own village (village may be left out).',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          externalId: { type: 'string', minLength: 1, maxLength: 64, description: 'The village system\'s own id of the registration' },
          village: { type: 'string', maxLength: 13, description: 'Village code (18.12.01.2002 or 1812012002)' },
          updatedSince: { type: 'string', format: 'date-time', description: 'Changes after this moment (RFC 3339)' },
          after: { type: 'integer', minimum: 0, default: 0, description: 'Id of the last row at exactly updatedSince (from `next`)' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            ...registrationSchema.properties,
            registrations: { type: 'array', items: registrationSchema },
            next: { type: ['object', 'null'], properties: { updatedSince: { type: 'string' }, after: { type: 'integer' } } },
          },
        },
      },
      problems: { 400: ['VILLAGE_CODE_UNKNOWN', 'FIELD_REQUIRED'], 403: ['AUTH_FORBIDDEN'], 404: ['NOT_FOUND'] },
    },
  }, async (req) => {
    const scope = villageScope(req.principal, config);
    if (req.query.externalId !== undefined) {
      const village = requestedVillage(req.principal, config, req.query.village);
      const found = await findRegistration(db, { villageCode: village, externalId: req.query.externalId }, scope);
      if (!found) throw notFound({ id: `Pendaftaran dengan externalId "${req.query.externalId}"`, en: `Registration with externalId "${req.query.externalId}"` }, 'externalId');
      const progress = (await registrationProgress(db, config, [found.id])).get(found.id);
      return { ...found, ...(progress ? { progress } : {}) };
    }
    if (req.query.updatedSince === undefined) {
      throw new HubError(400, 'FIELD_REQUIRED', { id: 'Sebutkan externalId atau updatedSince.', en: 'Give externalId or updatedSince.' }, 'updatedSince');
    }
    const p = req.principal;
    const asked = req.query.village ?? p.villageCode ?? undefined;
    if (!asked) throw new HubError(400, 'FIELD_REQUIRED', { id: 'Sebutkan village (kode tiyuh/kelurahan).', en: 'Name the village (village code).' }, 'village');
    const village = regionDigits(asked);
    if (!village || !config.villages.has(village)) {
      throw new HubError(400, 'VILLAGE_CODE_UNKNOWN', { id: `"${asked}" bukan kode tiyuh/kelurahan 18.12.`, en: `"${asked}" is not a village code of 18.12.` }, 'village');
    }
    if (scope && !scope.has(village)) throw forbidden('Kunci ini tidak boleh membaca desa/tiyuh itu.', 'This key may not read that village.');
    const list = await villageFeed(db, { village, updatedSince: req.query.updatedSince, afterId: req.query.after ?? 0, limit: req.query.limit ?? 100 });
    const progress = await registrationProgress(db, config, list.map((x) => x.id));
    const found = await Promise.all(list.map((x) => findRegistration(db, { id: x.id }, null)));
    const last = list.at(-1);
    return {
      registrations: list.map((x, i) => ({ ...found[i]!, ...(progress.get(x.id) ? { progress: progress.get(x.id) } : {}), updatedAt: x.updated_at })),
      next: last ? { updatedSince: last.updated_at, after: last.id } : null,
    };
  });
};
