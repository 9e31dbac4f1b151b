import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { regionDigits } from '../config/regionCode.js';
import {
  citizenRoots, decideCase, loadLinkedRecords, loadRecordPerson, personOut, ReviewError, splitCase,
  type Actor, type CaseOutcome, type Decision,
} from '../pipeline/review/index.js';
import { explainEvidence, type Evidence } from '../pipeline/identity/index.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError } from './problem.js';

interface CaseListRow {
  id: number; kecamatan_code: string; status: string; score: number | null; record_kind: string; record_id: number;
  citizen_id: number; candidate_citizen_id: number; created_at: Date;
}
interface CaseDetailRow extends CaseListRow { evidence: unknown; decided_by: string | null; decided_at: Date | null; reason: string | null }

/** The golden record as stored on the citizen row. */
export interface GoldenRow {
  id: number; nik: string | null; kk: string | null; full_name: string; sex: string | null; birth_date: string | null;
  birth_place: string | null; mother_name: string | null; address: string | null; village_code: string | null;
  merged_into: number | null; created_at: Date; updated_at: Date;
}

export const GOLDEN_COLUMNS = sql`id, nik, kk, full_name, sex, birth_date::text as birth_date, birth_place, mother_name, address,
  village_code, merged_into, created_at, updated_at`;

export const goldenOut = (g: GoldenRow) => ({
  nik: g.nik, kk: g.kk, fullName: g.full_name, sex: g.sex, birthDate: g.birth_date, birthPlace: g.birth_place,
  motherName: g.mother_name, address: g.address, villageCode: g.village_code,
});

/** Source records of one citizen as staff see them, newest link last; capped so a frequent applicant stays readable. */
export async function recordsOut(db: Queryable, citizenId: number, limit = 100) {
  return (await loadLinkedRecords(db, [citizenId], limit)).map((r) => ({
    kind: r.kind, id: r.id, villageCode: r.villageCode, link: r.link, score: r.score, person: personOut(r.person),
  }));
}

const caseOut = (c: CaseListRow) => ({
  id: c.id, kecamatanCode: c.kecamatan_code, status: c.status, score: c.score, recordKind: c.record_kind, recordId: c.record_id,
  citizenId: c.citizen_id, candidateCitizenId: c.candidate_citizen_id, createdAt: new Date(c.created_at).toISOString(),
});

const caseNotFound = new HubError(404, 'CASE_NOT_FOUND', { id: 'Kasus tinjauan tidak ditemukan.', en: 'Review case not found.' }, 'id');

function reviewProblem(e: ReviewError): HubError {
  switch (e.code) {
    case 'CASE_NOT_FOUND':
      return caseNotFound;
    case 'CASE_ALREADY_DECIDED':
      return new HubError(409, 'CASE_ALREADY_DECIDED', {
        id: `Kasus ini sudah diputuskan "${e.currentStatus}"; untuk mengubahnya, pisahkan (split) dulu keputusan "same" atau buka kasus baru.`,
        en: `This case is already decided "${e.currentStatus}"; to change it, split a "same" decision first.`,
      });
    case 'CASE_NOT_MERGED':
      return new HubError(409, 'CASE_NOT_MERGED', {
        id: `Hanya kasus yang diputuskan "same" (digabung) yang dapat dipisahkan; status kasus ini "${e.currentStatus}".`,
        en: `Only a case decided "same" (merged) can be split; this case is "${e.currentStatus}".`,
      });
    case 'MERGE_RECORD_MISSING':
      return new HubError(409, 'MERGE_RECORD_MISSING', {
        id: 'Catatan penggabungan kasus ini tidak ada di log audit, sehingga tidak dapat dipisahkan otomatis.',
        en: 'The audit log holds no record of this case\'s merge, so it cannot be split automatically.',
      });
  }
}

/** 3–500 characters after trimming: staff must say why, and the audit log keeps it. */
function checkReason(raw: unknown): string {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length < 3) {
    throw new HubError(400, 'REASON_REQUIRED', { id: 'Alasan keputusan wajib diisi (3–500 karakter).', en: 'A reason is required (3–500 characters).' }, 'reason');
  }
  if (reason.length > 500) {
    throw new HubError(400, 'REASON_TOO_LONG', { id: 'Alasan paling panjang 500 karakter.', en: 'The reason may be at most 500 characters.' }, 'reason');
  }
  return reason;
}

const actorOf = (req: FastifyRequest): Actor => ({ label: req.principal.label, keyId: req.principal.keyId });

const outcomeOut = (o: CaseOutcome) => ({
  id: o.caseId, status: o.status, changed: o.changed, citizenId: o.citizenId, released: o.released,
  ...(o.decidedBy ? { decidedBy: o.decidedBy } : {}),
  ...(o.decidedAt ? { decidedAt: new Date(o.decidedAt).toISOString() } : {}),
  ...(o.reason ? { reason: o.reason } : {}),
});

const text = { type: ['string', 'null'] } as const;
const personSchema = {
  type: ['object', 'null'],
  properties: {
    nik: text, kk: text, fullName: { type: 'string' }, sex: text, birthDate: text, birthPlace: text, motherName: text,
    address: text, villageCode: text, seenAt: text,
  },
} as const;
export const recordSchema = {
  type: 'object',
  properties: {
    kind: { enum: ['registration', 'resident'] }, id: { type: 'integer' }, villageCode: text, link: { type: 'string' },
    score: { type: ['number', 'null'] }, person: personSchema,
  },
} as const;
const caseItemSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, kecamatanCode: { type: 'string' }, status: { enum: ['open', 'same', 'different'] }, score: { type: ['number', 'null'] },
    recordKind: { type: 'string' }, recordId: { type: 'integer' }, citizenId: { type: 'integer' }, candidateCitizenId: { type: 'integer' },
    createdAt: { type: 'string' },
  },
} as const;
const decidedSchema = { decidedBy: { type: 'string' }, decidedAt: { type: 'string' }, reason: { type: 'string' } } as const;
const detailSchema = {
  type: 'object',
  properties: {
    ...caseItemSchema.properties,
    evidence: { description: 'Per-field evidence of the identity engine: what was compared, how it compared, what weight it added' },
    explanation: {
      type: 'array', description: 'The evidence in words (Indonesian `id`, English `en`): warnings first, then fields by the weight they added',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, weight: { type: 'number' }, id: { type: 'string' }, en: { type: 'string' } },
      },
    },
    record: {
      type: 'object',
      properties: { kind: { type: 'string' }, id: { type: 'integer' }, villageCode: text, citizenId: { type: 'integer' }, person: personSchema },
    },
    candidate: {
      type: 'object',
      properties: { citizenId: { type: 'integer' }, golden: personSchema, records: { type: 'array', items: recordSchema } },
    },
    ...decidedSchema,
  },
} as const;
const outcomeSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, status: { enum: ['open', 'same', 'different'] },
    changed: { type: 'boolean', description: 'False when the case already stood so (a repeated request)' },
    citizenId: { type: ['integer', 'null'], description: 'The surviving citizen the case\'s record belongs to now' },
    released: { type: 'array', items: { type: 'integer' }, description: 'Held registrations sent on to their agency' },
    ...decidedSchema,
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } } as const;
const reasonProperty = { type: 'string', description: 'Why staff decided so (3–500 characters); kept in the audit log' } as const;

export const reviewCaseRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;
  const staffKey = requireKey(deps.keys, deps.limiter, ['kecamatan']);

  /** A kecamatan key reaches its own cases only; others' cases answer as not found. */
  async function loadCase(req: FastifyRequest, id: number): Promise<CaseDetailRow> {
    const [c] = await rows<CaseDetailRow>(db, sql`
      select id, kecamatan_code, status, score, record_kind, record_id, citizen_id, candidate_citizen_id, created_at,
        evidence, decided_by, decided_at, reason
      from review_cases where id = ${id}`);
    const p = req.principal;
    if (!c || (p.role !== 'admin' && c.kecamatan_code !== p.kecamatanCode)) throw caseNotFound;
    return c;
  }

  app.get<{ Querystring: { kecamatan?: string; status?: string; limit?: number; offset?: number } }>('/v1/review-cases', {
    preHandler: staffKey,
    schema: {
      summary: 'Review cases of a kecamatan, oldest first (a kecamatan key: its own kecamatan only)',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          kecamatan: { type: 'string', maxLength: 9, description: 'Kecamatan code, 181201 or 18.12.01' },
          status: { enum: ['open', 'same', 'different'], default: 'open' },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 200: { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: caseItemSchema } } } },
    },
  }, async (req) => {
    const p = req.principal;
    let kec: string | null = null;
    if (req.query.kecamatan !== undefined) {
      kec = regionDigits(req.query.kecamatan);
      if (!kec || !deps.config.kecamatans.has(kec)) {
        throw new HubError(400, 'KECAMATAN_CODE_UNKNOWN', { id: `Kode kecamatan "${req.query.kecamatan}" tidak dikenal.`, en: `Unknown kecamatan code "${req.query.kecamatan}".` }, 'kecamatan');
      }
    }
    if (p.role !== 'admin') {
      if (!p.kecamatanCode) throw forbidden('Kunci ini tidak terikat pada kecamatan.', 'This key is not scoped to a kecamatan.');
      if (kec && kec !== p.kecamatanCode) throw forbidden('Kunci ini hanya untuk kecamatan lain.', 'This key is scoped to another kecamatan.');
      kec = p.kecamatanCode;
    }
    const where = sql`status = ${req.query.status ?? 'open'} ${kec ? sql`and kecamatan_code = ${kec}` : sql``}`;
    const [{ total }] = await rows<{ total: number }>(db, sql`select count(*)::int as total from review_cases where ${where}`) as [{ total: number }];
    const items = await rows<CaseListRow>(db, sql`
      select id, kecamatan_code, status, score, record_kind, record_id, citizen_id, candidate_citizen_id, created_at
      from review_cases where ${where} order by id limit ${req.query.limit ?? 50} offset ${req.query.offset ?? 0}`);
    return { total, items: items.map(caseOut) };
  });

  app.get<{ Params: { id: number } }>('/v1/review-cases/:id', {
    preHandler: staffKey,
    schema: { summary: 'Both sides of a case with the matching evidence; the read is audited', params: idParams, response: { 200: detailSchema } },
  }, async (req) => {
    const c = await loadCase(req, req.params.id);
    const kind = c.record_kind === 'resident' ? 'resident' : 'registration';
    const record = await loadRecordPerson(db, kind, c.record_id);
    const [link] = await rows<{ citizen_id: number }>(db, sql`
      select citizen_id from citizen_records where record_kind = ${kind} and record_id = ${c.record_id}`);
    const roots = await citizenRoots(db, [c.candidate_citizen_id, ...(link ? [link.citizen_id] : [])]);
    const candidateId = roots.get(c.candidate_citizen_id) ?? c.candidate_citizen_id;
    const [golden] = await rows<GoldenRow>(db, sql`select ${GOLDEN_COLUMNS} from citizens where id = ${candidateId}`);
    const candidateRecords = (await recordsOut(db, candidateId)).filter((r) => !(r.kind === kind && r.id === c.record_id));
    await db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${req.principal.label}, 'review.read', 'review_cases', ${String(c.id)}, ${c.kecamatan_code},
              ${JSON.stringify({ keyId: req.principal.keyId, citizens: [candidateId, ...(link ? [link.citizen_id] : [])], record: { kind, id: c.record_id } })}::jsonb)`);
    return {
      id: c.id, kecamatanCode: c.kecamatan_code, status: c.status, score: c.score, evidence: c.evidence,
      explanation: explainEvidence(c.evidence as Partial<Evidence> | null),
      createdAt: new Date(c.created_at).toISOString(),
      record: {
        kind, id: c.record_id, villageCode: record?.villageCode ?? null,
        citizenId: link ? roots.get(link.citizen_id) ?? link.citizen_id : c.citizen_id,
        person: record ? personOut(record.person) : null,
      },
      candidate: { citizenId: candidateId, golden: golden ? goldenOut(golden) : null, records: candidateRecords },
      ...(c.decided_by ? { decidedBy: c.decided_by } : {}),
      ...(c.decided_at ? { decidedAt: new Date(c.decided_at).toISOString() } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    };
  });

  app.post<{ Params: { id: number }; Body: { decision: Decision; reason?: unknown } }>('/v1/review-cases/:id/decision', {
    preHandler: staffKey,
    schema: {
      summary: 'Decide a case: "same" merges the record\'s citizen into the candidate, "different" remembers the pair',
      params: idParams,
      body: {
        type: 'object', additionalProperties: false, required: ['decision'],
        properties: { decision: { enum: ['same', 'different'] }, reason: reasonProperty },
      },
      response: { 200: outcomeSchema },
    },
  }, async (req) => {
    const c = await loadCase(req, req.params.id);
    const reason = checkReason(req.body.reason);
    try {
      const outcome = await decideCase(db, deps.queues, c.id, req.body.decision, actorOf(req), reason);
      if (outcome.routingDeferred) req.log.warn({ caseId: c.id, registrations: outcome.released.length }, 'route enqueue failed; left to the recovery sweep');
      return outcomeOut(outcome);
    } catch (err) {
      if (err instanceof ReviewError) throw reviewProblem(err);
      throw err;
    }
  });

  app.post<{ Params: { id: number }; Body: { reason?: unknown } }>('/v1/review-cases/:id/split', {
    preHandler: staffKey,
    schema: {
      summary: 'Undo a "same" decision: the merged records go back to their own citizen and the case is open again',
      params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { reason: reasonProperty } },
      response: { 200: outcomeSchema },
    },
  }, async (req) => {
    const c = await loadCase(req, req.params.id);
    const reason = checkReason(req.body?.reason);
    try {
      return outcomeOut(await splitCase(db, c.id, actorOf(req), reason));
    } catch (err) {
      if (err instanceof ReviewError) throw reviewProblem(err);
      throw err;
    }
  });
};
