/** Review cases as staff read them: the queue and one case with both sides. The API and the console call these. */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import { explainEvidence, type Evidence } from '../identity/index.js';
import { citizenRoots } from './citizenRoots.js';
import { loadLinkedRecords, loadRecordPerson, personOut } from './sourceRecords.js';

export interface CaseListRow {
  id: number; kecamatan_code: string; status: string; score: number | null; record_kind: string; record_id: number;
  citizen_id: number; candidate_citizen_id: number; created_at: Date; village_code?: string | null;
  /** How much a decision changes (casePriority): 2 an aid enrolment rides on it, 1 a registration, 0 neither. */
  priority?: number;
}
export interface CaseDetailRow extends CaseListRow { evidence: unknown; decided_by: string | null; decided_at: Date | null; reason: string | null }

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

export interface CaseFilter {
  /** null: every kecamatan (the kabupaten). */
  kecamatan: string | null;
  status: string;
  /** Only cases whose record comes from this village. */
  village?: string;
  limit: number;
  offset?: number;
  /** Keyset: cases after this id (oldest first). */
  after?: number;
}

const caseWhere = (f: CaseFilter) => sql`rc.status = ${f.status}
  ${f.kecamatan ? sql`and rc.kecamatan_code = ${f.kecamatan}` : sql``}
  ${f.village ? sql`and exists (select 1 from citizen_records cr where cr.record_kind = rc.record_kind and cr.record_id = rc.record_id and cr.village_code = ${f.village})` : sql``}`;

export async function countReviewCases(db: Queryable, f: CaseFilter): Promise<number> {
  const [r] = await rows<{ total: number }>(db, sql`select count(*)::int as total from review_cases rc where ${caseWhere(f)}`);
  return r?.total ?? 0;
}

/**
 * How much deciding a case changes, for the queue's order: 2 when either citizen holds an aid
 * enrolment (a merge decides who receives it, and whether twice), else 1 when a registration is
 * the case's record or either citizen's (a service waits on whom it is for), else 0.
 */
const casePriority = (rc: string) => sql.raw(`(case
  when exists (select 1 from aid_participants ap where ap.citizen_id in (${rc}.citizen_id, ${rc}.candidate_citizen_id)) then 2
  when ${rc}.record_kind = 'registration'
    or exists (select 1 from registrations r where r.citizen_id in (${rc}.citizen_id, ${rc}.candidate_citizen_id)) then 1
  else 0 end)`);

/**
 * Cases by how much a decision changes (casePriority), oldest first within each, with the village of
 * each case's record (ids and codes only, no personal data). `after` continues the queue behind that
 * case, in this order, also when that case has been decided since.
 */
export async function listReviewCases(db: Queryable, f: CaseFilter): Promise<CaseListRow[]> {
  return rows<CaseListRow>(db, sql`
    with q as (
      select rc.id, rc.kecamatan_code, rc.status, rc.score, rc.record_kind, rc.record_id, rc.citizen_id, rc.candidate_citizen_id, rc.created_at,
        ${casePriority('rc')}::int as priority
      from review_cases rc where ${caseWhere(f)}
    )
    select q.*,
      (select cr.village_code from citizen_records cr where cr.record_kind = q.record_kind and cr.record_id = q.record_id) as village_code
    from q
    ${f.after ? sql`where (q.priority, -q.id) < (select ${casePriority('a')}, -a.id from review_cases a where a.id = ${f.after})` : sql``}
    order by q.priority desc, q.id limit ${f.limit} offset ${f.offset ?? 0}`);
}

export async function reviewCaseRow(db: Queryable, id: number): Promise<CaseDetailRow | null> {
  const [c] = await rows<CaseDetailRow>(db, sql`
    select id, kecamatan_code, status, score, record_kind, record_id, citizen_id, candidate_citizen_id, created_at,
      evidence, decided_by, decided_at, reason
    from review_cases where id = ${id}`);
  return c ?? null;
}

/**
 * Both sides of a case: the record (and the other records of its citizen), the candidate's golden
 * record and records, the engine's evidence in words. Reading it shows personal data: callers audit.
 */
export async function reviewCaseDetail(db: Queryable, c: CaseDetailRow) {
  const kind = c.record_kind === 'resident' ? 'resident' : 'registration';
  const record = await loadRecordPerson(db, kind, c.record_id);
  const [link] = await rows<{ citizen_id: number }>(db, sql`
    select citizen_id from citizen_records where record_kind = ${kind} and record_id = ${c.record_id}`);
  const roots = await citizenRoots(db, [c.candidate_citizen_id, ...(link ? [link.citizen_id] : [])]);
  const candidateId = roots.get(c.candidate_citizen_id) ?? c.candidate_citizen_id;
  const recordCitizenId = link ? roots.get(link.citizen_id) ?? link.citizen_id : c.citizen_id;
  const [golden] = await rows<GoldenRow>(db, sql`select ${GOLDEN_COLUMNS} from citizens where id = ${candidateId}`);
  const notThis = (r: { kind: string; id: number }) => !(r.kind === kind && r.id === c.record_id);
  const candidateRecords = (await recordsOut(db, candidateId)).filter(notThis);
  const otherRecords = recordCitizenId === candidateId ? [] : (await recordsOut(db, recordCitizenId)).filter(notThis);
  return {
    id: c.id, kecamatanCode: c.kecamatan_code, status: c.status, score: c.score, evidence: c.evidence,
    explanation: explainEvidence(c.evidence as Partial<Evidence> | null),
    createdAt: new Date(c.created_at).toISOString(),
    record: {
      kind, id: c.record_id, villageCode: record?.villageCode ?? null, citizenId: recordCitizenId,
      person: record ? personOut(record.person) : null, otherRecords,
    },
    candidate: { citizenId: candidateId, golden: golden ? goldenOut(golden) : null, records: candidateRecords },
    /** Citizens whose personal data the reader now sees (for the audit entry). */
    citizens: [candidateId, ...(link ? [link.citizen_id] : [])],
    ...(c.decided_by ? { decidedBy: c.decided_by } : {}),
    ...(c.decided_at ? { decidedAt: new Date(c.decided_at).toISOString() } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

export type ReviewCaseDetail = Awaited<ReturnType<typeof reviewCaseDetail>>;

/** A citizen's golden record and its records, or null when no such citizen. */
export async function citizenDetail(db: Queryable, id: number) {
  const [c] = await rows<GoldenRow>(db, sql`select ${GOLDEN_COLUMNS} from citizens where id = ${id}`);
  if (!c) return null;
  const root = c.merged_into === null ? c.id : (await citizenRoots(db, [c.id])).get(c.id) ?? c.id;
  return { row: c, root };
}

/** Whether one of the citizen's records (or of the citizen it was merged into) comes from the region (village or kecamatan code prefix). */
export async function citizenInRegion(db: Queryable, ids: number[], region: string): Promise<boolean> {
  const [hit] = await rows<{ ok: number }>(db, sql`
    select 1 as ok from citizen_records where citizen_id = any(${arrayParam(ids, 'int')}) and village_code like ${`${region}%`} limit 1`);
  return !!hit;
}
