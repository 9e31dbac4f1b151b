import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { regionDigits } from '../config/regionCode.js';
import { MAX_BATCH } from '../pipeline/queues.js';
import { ingestResidents, type IngestResult, type ResidentInput } from '../pipeline/intake/residents.js';
import type { Principal } from './keys.js';
import { villageScope } from '../access/scope.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError, idempotencyKeyReused } from './problem.js';
import { priorSubmission, requestHash } from '../pipeline/intake/idempotency.js';
import { isUniqueViolation } from '../db/errors.js';

const text = (description: string, maxLength = 200) => ({ type: ['string', 'null'], maxLength, description });
const code = (description: string) => ({ type: ['integer', 'string', 'null'], description });

/**
 * One population record as a village system pushes it (the camelCase of OpenSID's columns; codes as
 * OpenSID numbers them, opensid.md §3). Only localId and fullName are required; the village defaults
 * to the key's. Data errors (a bad NIK, an unknown code) quarantine the record; a field that is not
 * here refuses the request, since it is a mistake of the sending program.
 */
export const residentSchema = {
  type: 'object',
  required: ['localId', 'fullName'],
  additionalProperties: false,
  properties: {
    localId: { type: ['string', 'integer'], description: 'The village system\'s resident id (OpenSID tweb_penduduk.id); the record\'s key with the village' },
    villageCode: { type: 'string', maxLength: 13, description: 'Kemendagri village code, dotted (18.12.01.2002) or 10 digits; defaults to the key\'s village' },
    nik: text('NIK, 16 digits; "0" or an OpenSID temporary NIK (0 + kode_desa + seq) means none', 32),
    kk: text('Nomor KK, 16 digits', 32),
    fullName: text('Full name', 100),
    sex: code('1 | 2 | L | P | M | F | LAKI-LAKI | PEREMPUAN'),
    birthDate: text('Y-m-d or d-m-Y', 20),
    birthPlace: text('Place of birth', 100),
    religion: code('agama_id 1–7'),
    maritalStatus: code('status_kawin 1–4'),
    familyRole: code('kk_level (SHDK) 1–11'),
    education: code('pendidikan_kk_id 1–10'),
    occupation: code('pekerjaan_id 1–89'),
    citizenship: code('warganegara_id 1–3'),
    fatherName: text('Father\'s name', 100),
    motherName: text('Mother\'s name', 100),
    address: text('Address'),
    dusun: text('Dusun', 60),
    rt: text('RT', 10),
    rw: text('RW', 10),
    statusDasar: code('status_dasar: 1 hidup, 2 mati, 3 pindah, 4 hilang, 6 pergi, 9 tidak valid'),
    sourceUpdatedAt: text('When the village system last changed the record (ISO 8601 or Y-m-d H:i:s)', 40),
    extra: { type: 'object', description: 'Any other columns, kept as sent' },
  },
} as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

const recordAnswerSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' }, localId: { type: 'string' }, villageCode: { type: ['string', 'null'] },
    status: { enum: ['accepted', 'rejected'] }, outcome: { enum: ['created', 'updated', 'unchanged', 'quarantined', 'refused'] },
    id: { type: 'integer' }, quarantineId: { type: 'integer' }, errors: { type: 'array' }, warnings: { type: 'array' },
  },
} as const;

export { villageScope };

/** Parses `?village=` and checks it against the key's scope; a village key may leave it out. */
export function requestedVillage(p: Principal, config: AppDeps['config'], raw: string | undefined): string {
  const digits = raw ? regionDigits(raw) : p.villageCode;
  if (!digits || digits.length !== 10 || !config.villages.has(digits)) {
    throw new HubError(400, raw ? 'VILLAGE_CODE_UNKNOWN' : 'FIELD_REQUIRED', raw
      ? { id: `Kode desa/tiyuh "${raw}" tidak terdaftar di Kabupaten Tulang Bawang Barat.`, en: `"${raw}" is not a village of Tulang Bawang Barat.` }
      : { id: 'Parameter village wajib diisi.', en: 'The village parameter is required.' }, 'village');
  }
  const scope = villageScope(p, config);
  if (scope && !scope.has(digits)) throw forbidden(`Kunci ini tidak berwenang atas desa ${raw ?? digits}.`, `This key has no access to village ${raw ?? digits}.`);
  return digits;
}

function answerOf(result: IngestResult) {
  return {
    submissionId: result.inboxId, created: result.created, updated: result.updated, unchanged: result.unchanged, quarantined: result.quarantined,
    ...(result.refused ? { refused: result.refused } : {}),
    records: result.records.map((r) => ({
      index: r.index, localId: r.localId, villageCode: r.villageCode,
      status: r.status === 'quarantined' || r.status === 'refused' ? 'rejected' : 'accepted', outcome: r.status,
      ...(r.id ? { id: r.id } : {}), ...(r.quarantineId ? { quarantineId: r.quarantineId } : {}),
      ...(r.errors ? { errors: r.errors } : {}), ...(r.warnings ? { warnings: r.warnings } : {}),
    })),
  };
}

export const residentRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db, config, ctx } = deps;

  app.post('/v1/residents', {
    preHandler: requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']),
    bodyLimit: 8 * 1024 * 1024,
    schema: {
      summary: 'Push population records: {"residents": [...]} of at most 1,000; upserted on (village, localId), a resend is unchanged',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 128 } } },
      body: {
        type: 'object', required: ['residents'], additionalProperties: false,
        properties: { residents: { type: 'array', minItems: 1, items: residentSchema } },
      },
      response: {
        202: {
          type: 'object',
          properties: {
            submissionId: { type: 'integer' }, created: { type: 'integer' }, updated: { type: 'integer' },
            unchanged: { type: 'integer' }, quarantined: { type: 'integer' }, refused: { type: 'integer' }, records: { type: 'array', items: recordAnswerSchema },
          },
        },
      },
    },
  }, async (req, reply) => {
    const p = req.principal;
    const idem = req.headers['idempotency-key'] as string | undefined;
    if (idem !== undefined && !IDEMPOTENCY_KEY.test(idem)) {
      throw new HubError(400, 'IDEMPOTENCY_KEY_INVALID', { id: 'Idempotency-Key harus 1–128 karakter ASCII yang terlihat.', en: 'Idempotency-Key must be 1–128 visible ASCII characters.' }, 'Idempotency-Key');
    }
    // Only a request with an Idempotency-Key is ever compared with another (see registrations).
    const hash = idem === undefined ? null : requestHash(req.body);
    const replay = async () => {
      const prior = await priorSubmission(db, p.keyId, idem!, hash!);
      if (prior.state === 'reused') throw idempotencyKeyReused();
      const answer = prior.state === 'answered' ? (prior.response as { hubAnswer?: unknown }).hubAnswer : undefined;
      if (prior.state !== 'none' && !answer) {
        // The first request with this key has not committed yet: the sender retries in a moment.
        throw new HubError(409, 'IDEMPOTENCY_IN_PROGRESS', { id: 'Kiriman dengan Idempotency-Key ini sedang diproses; coba lagi sebentar.', en: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
          'Idempotency-Key', undefined, { 'Retry-After': '1' });
      }
      return answer;
    };
    if (idem) {
      const prior = await replay();
      if (prior) return reply.code(202).header('Idempotent-Replayed', 'true').send(prior);
    }
    const list = (req.body as { residents: ResidentInput[] }).residents;
    if (list.length > MAX_BATCH) {
      throw new HubError(413, 'BATCH_TOO_LARGE', { id: `Satu kiriman paling banyak ${MAX_BATCH} data penduduk (dikirim ${list.length}).`, en: `At most ${MAX_BATCH} residents per request (got ${list.length}).` }, 'residents');
    }
    const inputs = list.map((r) => ({ ...r, villageCode: r.villageCode ?? p.villageCode ?? '' }));
    let result: IngestResult;
    try {
      result = await ingestResidents(ctx, inputs, {
        channel: 'push', allowedVillages: villageScope(p, config), apiKeyId: p.keyId, idempotencyKey: idem, requestHash: hash ?? undefined, raw: req.body, answer: answerOf,
      });
    } catch (err) {
      // The same Idempotency-Key committed by a concurrent request: answer with its result.
      const prior = isUniqueViolation(err) && idem ? await replay() : undefined;
      if (prior) return reply.code(202).header('Idempotent-Replayed', 'true').send(prior);
      throw err;
    }
    return reply.code(202).send(answerOf(result));
  });

  app.get<{ Querystring: { village?: string; state?: string; limit: number; offset: number } }>('/v1/residents', {
    preHandler: requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']),
    schema: {
      summary: 'A village\'s resident records with their state, paged; every read is written to the audit log', response: { 200: { type: 'object', additionalProperties: true, description: '{total, items: resident records}' } },
      querystring: {
        type: 'object',
        properties: {
          village: { type: 'string', maxLength: 13, description: 'Village code; a village key may leave it out' },
          state: { enum: ['active', 'dead', 'moved', 'missing', 'gone', 'invalid', 'deleted'] },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
        },
      },
    },
  }, async (req) => {
    const p = req.principal;
    const village = requestedVillage(p, config, req.query.village);
    const { limit, offset, state } = req.query;
    const stateFilter = state ? sql`and state = ${state}` : sql``;
    const [{ total }] = await rows<{ total: number }>(db, sql`
      select count(*)::int as total from resident_records where village_code = ${village} ${stateFilter}`) as [{ total: number }];
    const items = await rows<Record<string, unknown>>(db, sql`
      select id, local_id as "localId", village_code as "villageCode", nik, temporary_nik as "temporaryNik", kk, full_name as "fullName", sex,
             to_char(birth_date, 'YYYY-MM-DD') as "birthDate", birth_place as "birthPlace", mother_name as "motherName",
             father_name as "fatherName", address, dusun, rt, rw, religion, marital_status as "maritalStatus",
             family_role as "familyRole", occupation, education, status_dasar as "statusDasar", state, status,
             citizen_id as "citizenId", warnings, channel, updated_at as "updatedAt", deleted_at as "deletedAt"
      from resident_records where village_code = ${village} ${stateFilter}
      order by id limit ${limit} offset ${offset}`);
    // Personal data read by staff: who, which village, how many records (UU PDP).
    await db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${`${p.role}-key:${p.keyId}`}, 'residents.read', 'village', ${village}, ${village},
              ${JSON.stringify({ label: p.label, count: items.length, limit, offset, state: state ?? null })}::jsonb)`);
    return { total, items };
  });
};
