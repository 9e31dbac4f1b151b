import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { allocateIds, arrayParam, jsonTexts } from '../db/sqlArrays.js';
import { MAX_BATCH } from '../pipeline/queues.js';
import { checkRegistration, type RegistrationCheck } from '../pipeline/validate/registration.js';
import { recordError, type RecordError } from '../pipeline/validate/recordError.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, notFound } from './problem.js';

interface RecordAnswer {
  externalId: string | null;
  id: number | null;
  status: 'accepted' | 'rejected';
  duplicate?: true;
  quarantineId?: number;
  errors?: RecordError[];
  warnings?: RecordError[];
}

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
    if (idem) {
      const [prior] = await rows<{ response: unknown }>(db, sql`select response from inbox where api_key_id = ${p.keyId} and idempotency_key = ${idem}`);
      if (prior?.response) return reply.code(202).header('Idempotent-Replayed', 'true').send(prior.response);
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

    const answers: RecordAnswer[] = [];
    let newIds: number[] = [];
    const submission = await db.transaction(async (tx) => {
      let inboxId: number;
      try {
        [{ id: inboxId }] = await rows<{ id: number }>(tx, sql`
          insert into inbox (channel, kind, village_code, api_key_id, idempotency_key, record_count, payload)
          values ('push', 'registration', ${village}, ${p.keyId}, ${idem ?? null}, ${list.length}, ${JSON.stringify(body)}::jsonb)
          returning id`) as [{ id: number }];
      } catch (err) {
        if ((err as { code?: string }).code === '23505') return null; // same Idempotency-Key committed meanwhile
        throw err;
      }
      const valid = checks.flatMap((c) => (c.ok ? [c.value] : []));
      const fresh = new Map<string, number>();
      const existing = new Map<string, number>();
      if (valid.length) {
        const inserted = await rows<{ id: number; external_id: string }>(tx, sql`
          insert into registrations (inbox_id, village_code, external_id, service_code, submitted_at, applicant, details)
          select ${inboxId}, ${village}, u.ext, u.svc, u.sub, u.app::jsonb, u.det::jsonb
          from unnest(${arrayParam(valid.map((v) => v.externalId), 'text')}, ${arrayParam(valid.map((v) => v.service.code), 'text')},
            ${arrayParam(valid.map((v) => v.submittedAt), 'timestamptz')}, ${arrayParam(jsonTexts(valid.map((v) => v.applicant)), 'text')},
            ${arrayParam(jsonTexts(valid.map((v) => v.details)), 'text')}) as u(ext, svc, sub, app, det)
          on conflict (village_code, external_id) do nothing
          returning id, external_id`);
        for (const r of inserted) fresh.set(r.external_id, r.id);
        const dup = valid.filter((v) => !fresh.has(v.externalId)).map((v) => v.externalId);
        if (dup.length) {
          for (const r of await rows<{ id: number; external_id: string }>(tx, sql`
            select id, external_id from registrations where village_code = ${village} and external_id = any(${arrayParam(dup, 'text')})`)) {
            existing.set(r.external_id, r.id);
          }
        }
      }
      const rejected = checks.flatMap((c, i) => (c.ok ? [] : [{ c, raw: list[i] }]));
      const qIds = await allocateIds(tx, 'quarantine', rejected.length);
      if (rejected.length) {
        await tx.execute(sql`
          insert into quarantine (id, inbox_id, kind, village_code, external_id, payload, errors)
          overriding system value
          select u.id, ${inboxId}, 'registration', ${village}, u.ext, u.payload::jsonb, u.errors::jsonb
          from unnest(${arrayParam(qIds, 'int')}, ${arrayParam(rejected.map((r) => (r.c.ok ? null : r.c.externalId)), 'text')},
            ${arrayParam(jsonTexts(rejected.map((r) => r.raw)), 'text')}, ${arrayParam(jsonTexts(rejected.map((r) => (r.c.ok ? [] : r.c.errors))), 'text')}) as u(id, ext, payload, errors)`);
      }
      let q = 0;
      for (const c of checks) {
        if (!c.ok) {
          answers.push({ externalId: c.externalId, id: null, status: 'rejected', quarantineId: qIds[q++]!, errors: c.errors });
          continue;
        }
        const ext = c.value.externalId;
        const id = fresh.get(ext) ?? existing.get(ext)!;
        answers.push({
          externalId: ext, id, status: 'accepted',
          ...(fresh.has(ext) ? {} : { duplicate: true as const }),
          ...(c.warnings.length ? { warnings: c.warnings } : {}),
        });
      }
      const response = { submissionId: inboxId, records: answers };
      await tx.execute(sql`update inbox set response = ${JSON.stringify(response)}::jsonb where id = ${inboxId}`);
      newIds = [...fresh.values()];
      return response;
    });
    if (!submission) {
      const [prior] = await rows<{ response: unknown }>(db, sql`select response from inbox where api_key_id = ${p.keyId} and idempotency_key = ${idem!}`);
      return reply.code(202).header('Idempotent-Replayed', 'true').send(prior!.response);
    }
    try {
      await deps.queues.enqueue('validate', newIds, `inbox${submission.submissionId}`);
    } catch (err) {
      // Committed in Postgres already: the recovery sweep enqueues these records when Redis is back.
      req.log.warn({ err: (err as Error).message, submissionId: submission.submissionId }, 'enqueue failed; left to the recovery sweep');
    }
    return reply.code(202).send(submission);
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
