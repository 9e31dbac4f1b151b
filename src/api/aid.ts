import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { villageScope } from '../access/scope.js';
import { regionDigits } from '../config/regionCode.js';
import { ingestParticipants, ingestPrograms, type AidResult, type AidSubmission } from '../aid/intake.js';
import type { RecordError } from '../pipeline/validate/recordError.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';

const MAX_BATCH = 1000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

const id = { type: ['string', 'integer'], pattern: '^[A-Za-z0-9._-]{1,40}$', minimum: 0 } as const;
const str = (max: number) => ({ type: ['string', 'null'], maxLength: max }) as const;

const programSchema = {
  type: 'object', additionalProperties: false, required: ['id', 'name'],
  properties: {
    villageCode: { type: 'string', maxLength: 13, description: 'Defaults to the village key\'s own' },
    id: { ...id, description: 'The village system\'s own program id (resending it updates the program)' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    target: { type: ['integer', 'null'], minimum: 1, maximum: 4, description: '1 penduduk, 2 keluarga, 3 rumah tangga, 4 kelompok' },
    description: str(2000), startDate: str(10), endDate: str(10), active: { type: ['boolean', 'null'] }, funding: str(200),
  },
} as const;

const participantSchema = {
  type: 'object', additionalProperties: false, required: ['id', 'programId'],
  properties: {
    villageCode: { type: 'string', maxLength: 13 },
    id: { ...id, description: 'The village system\'s own enrolment id' },
    programId: { ...id, description: 'The village\'s program id (as sent to /v1/aid-programs)' },
    participantRef: str(40), cardNumber: str(64), nik: str(40), fullName: str(200), birthPlace: str(100),
    birthDate: { ...str(10), description: 'yyyy-mm-dd or dd-mm-yyyy' }, address: str(300),
    residentId: { type: ['string', 'integer', 'null'], maxLength: 40, description: 'The village\'s resident id of the card holder (OpenSID kartu_id_pend)' },
    target: { type: ['integer', 'null'], minimum: 1, maximum: 4 },
  },
} as const;

const answer = {
  type: 'object',
  properties: {
    inboxId: { type: 'integer' }, rows: { type: 'integer' }, created: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' },
    quarantined: { type: 'integer' }, linked: { type: 'integer' }, unlinked: { type: 'integer' },
    problems: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

/** The native shape as the OpenSID column names the row checks read. */
const programRow = (p: Record<string, unknown>) => ({
  id: p.id, nama: p.name, sasaran: p.target, ndesc: p.description, sdate: p.startDate, edate: p.endDate,
  status: p.active === undefined || p.active === null ? null : p.active ? '1' : '0', asaldana: p.funding,
});
const participantRow = (p: Record<string, unknown>) => ({
  id: p.id, program_id: p.programId, peserta: p.participantRef, no_id_kartu: p.cardNumber, kartu_nik: p.nik, kartu_nama: p.fullName,
  kartu_tempat_lahir: p.birthPlace, kartu_tanggal_lahir: p.birthDate, kartu_alamat: p.address, kartu_id_pend: p.residentId, sasaran: p.target,
});

/** POST /v1/aid-programs and /v1/aid-participants: batches of at most 1,000 from any village system, with Idempotency-Key. */
export const aidRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db, config } = deps;
  const auth = requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']);

  const handle = (field: 'programs' | 'participants') => async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.principal;
    const idem = req.headers['idempotency-key'] as string | undefined;
    if (idem !== undefined && !IDEMPOTENCY_KEY.test(idem)) {
      throw new HubError(400, 'IDEMPOTENCY_KEY_INVALID', { id: 'Idempotency-Key harus 1–128 karakter ASCII yang terlihat.', en: 'Idempotency-Key must be 1–128 visible ASCII characters.' }, 'Idempotency-Key');
    }
    const prior = async () => idem ? (await rows<{ response: unknown }>(db, sql`select response from inbox where api_key_id = ${p.keyId} and idempotency_key = ${idem}`))[0] : undefined;
    const before = await prior();
    if (before?.response) return reply.code(200).header('Idempotent-Replayed', 'true').send(before.response);

    const list = (req.body as Record<string, Record<string, unknown>[]>)[field]!;
    if (list.length > MAX_BATCH) {
      throw new HubError(413, 'BATCH_TOO_LARGE', { id: `Satu kiriman paling banyak ${MAX_BATCH} baris (dikirim ${list.length}).`, en: `At most ${MAX_BATCH} rows per request (got ${list.length}).` }, field);
    }
    const allowed = villageScope(p, config);
    const submission: AidSubmission = { channel: 'push', apiKeyId: p.keyId, idempotencyKey: idem ?? null, rows: [], refused: [] };
    list.forEach((item, i) => {
      const row = field === 'programs' ? programRow(item) : participantRow(item);
      const raw = typeof item.villageCode === 'string' ? item.villageCode : p.villageCode ?? '';
      const code = regionDigits(raw);
      if (!code || code.length !== 10 || !config.villages.has(code) || (allowed && !allowed.has(code))) {
        const e: RecordError = raw
          ? { field: `${field}.${i}.villageCode`, code: 'VILLAGE_OUT_OF_SCOPE', message: { id: `Kode desa ${raw} tidak dikenal atau di luar wilayah kunci ini.`, en: `Village ${raw} is unknown or outside this key's scope.` } }
          : { field: `${field}.${i}.villageCode`, code: 'FIELD_REQUIRED', message: { id: 'villageCode wajib diisi untuk kunci yang bukan kunci desa.', en: 'villageCode is required for a key that is not a village key.' } };
        submission.refused!.push({ villageCode: code && config.villages.has(code) ? code : null, row, line: i, errors: [e] });
      } else submission.rows.push({ villageCode: code, row, line: i });
    });
    let result: AidResult;
    try {
      result = field === 'programs' ? await ingestPrograms(db, submission) : await ingestParticipants(db, submission);
    } catch (err) {
      // The same Idempotency-Key raced in twice: the first one's answer is the answer.
      if ((err as { code?: string }).code === '23505' && idem) {
        const after = await prior();
        if (after?.response) return reply.code(200).header('Idempotent-Replayed', 'true').send(after.response);
      }
      throw err;
    }
    return reply.code(200).send(result);
  };

  const headers = { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 128 } } };
  app.post('/v1/aid-programs', {
    preHandler: auth, bodyLimit: 4 * 1024 * 1024,
    schema: {
      summary: 'Aid programs of villages, {"programs": [...]} (1-1,000), upserted on (villageCode, id); bad rows quarantined with codes',
      headers, body: { type: 'object', additionalProperties: false, required: ['programs'], properties: { programs: { type: 'array', minItems: 1, items: programSchema } } },
      response: { 200: answer },
    },
  }, handle('programs'));
  app.post('/v1/aid-participants', {
    preHandler: auth, bodyLimit: 4 * 1024 * 1024,
    schema: {
      summary: 'Aid enrolments, {"participants": [...]} (1-1,000), upserted on (villageCode, id), each linked to a citizen (NIK, resident id, or name + birth date in the village); unlinked ones are kept and listed',
      headers, body: { type: 'object', additionalProperties: false, required: ['participants'], properties: { participants: { type: 'array', minItems: 1, items: participantSchema } } },
      response: { 200: answer },
    },
  }, handle('participants'));
};
