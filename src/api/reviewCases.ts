import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { regionDigits } from '../config/regionCode.js';
import {
  checkReason, countReviewCases, decideCase, listReviewCases, reviewCaseDetail, reviewCaseRow, ReviewError, splitCase,
  type Actor, type CaseDetailRow, type CaseListRow, type CaseOutcome, type Decision,
} from '../pipeline/review/index.js';
import { regionInScope } from '../access/scope.js';
import { writeAudit } from '../audit/log.js';
import type { AppDeps } from './app.js';
import { forbidden, requireKey } from './auth.js';
import { HubError } from './problem.js';

export { GOLDEN_COLUMNS, goldenOut, recordsOut, type GoldenRow } from '../pipeline/review/index.js';

const caseOut = (c: CaseListRow) => ({
  id: c.id, kecamatanCode: c.kecamatan_code, status: c.status, score: c.score, recordKind: c.record_kind, recordId: c.record_id,
  citizenId: c.citizen_id, candidateCitizenId: c.candidate_citizen_id, createdAt: new Date(c.created_at).toISOString(),
  ...(c.priority !== undefined ? { priority: c.priority } : {}),
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

function reasonOf(raw: unknown): string {
  const r = checkReason(raw);
  if (!r.ok) throw new HubError(400, r.code, r.message, 'reason');
  return r.reason;
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
    priority: {
      type: 'integer', description: 'How much a decision changes; the queue lists higher first: 2 an aid enrolment, 1 a registration, 0 neither',
    },
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
      properties: {
        kind: { type: 'string' }, id: { type: 'integer' }, villageCode: text, citizenId: { type: 'integer' }, person: personSchema,
        otherRecords: { type: 'array', items: recordSchema, description: 'The other records of the record\'s own citizen, when it is not the candidate' },
      },
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
    const c = await reviewCaseRow(db, id);
    if (!c || (req.principal.role !== 'admin' && req.principal.role !== 'kecamatan') || !regionInScope(req.principal, c.kecamatan_code)) throw caseNotFound;
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
    const filter = { kecamatan: kec, status: req.query.status ?? 'open', limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 };
    const total = await countReviewCases(db, filter);
    const items = await listReviewCases(db, filter);
    return { total, items: items.map(caseOut) };
  });

  app.get<{ Params: { id: number } }>('/v1/review-cases/:id', {
    preHandler: staffKey,
    schema: { summary: 'Both sides of a case with the matching evidence; the read is audited', params: idParams, response: { 200: detailSchema } },
  }, async (req) => {
    const c = await loadCase(req, req.params.id);
    const { citizens, ...detail } = await reviewCaseDetail(db, c);
    await writeAudit(db, {
      actor: req.principal.label, action: 'review.read', targetType: 'review_cases', targetId: String(c.id), regionCode: c.kecamatan_code,
      detail: { keyId: req.principal.keyId, citizens, record: { kind: detail.record.kind, id: detail.record.id } },
    });
    return detail;
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
    const reason = reasonOf(req.body.reason);
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
    const reason = reasonOf(req.body?.reason);
    try {
      return outcomeOut(await splitCase(db, c.id, actorOf(req), reason));
    } catch (err) {
      if (err instanceof ReviewError) throw reviewProblem(err);
      throw err;
    }
  });
};
