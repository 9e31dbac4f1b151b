import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { RecordKind, StageQueues } from '../queues.js';
import { lockIdentify } from '../stages/identifyLock.js';
import { citizenRoots } from './citizenRoots.js';
import { refreshGoldenRecords } from './refreshGoldenRecords.js';
import { ReviewError } from './reviewError.js';

export type CaseStatus = 'open' | 'same' | 'different';
export type Decision = 'same' | 'different';

/** Who decides: written to the case and the audit log. */
export interface Actor { label: string; keyId?: number; /** A console user (staff_users.id). */ userId?: number }

export interface CaseRow {
  id: number; kecamatan_code: string; record_kind: RecordKind; record_id: number; citizen_id: number;
  candidate_citizen_id: number; status: CaseStatus; decided_by: string | null; decided_at: Date | null; reason: string | null;
}

/** What a 'same' decision moved, kept in its audit entry so a split can move exactly that back. */
export interface MergeTrace {
  from: number;
  into: number;
  citizenRecords: number[];
  registrations: number[];
  residents: number[];
  /** The link the case's record had before staff decided it. */
  recordLink: string | null;
}

export interface CaseOutcome {
  caseId: number;
  status: CaseStatus;
  /** False when the case already stood as asked (a repeated request). */
  changed: boolean;
  /** The surviving citizen the case's record now belongs to. */
  citizenId: number | null;
  /** Held registrations released to the route stage. */
  released: number[];
  /** True when Redis refused the route job: the recovery sweep routes the released registrations later. */
  routingDeferred: boolean;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
}

type Queues = Pick<StageQueues, 'enqueue'>;

async function lockCase(tx: Tx, caseId: number): Promise<CaseRow> {
  const [c] = await rows<CaseRow>(tx, sql`
    select id, kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, status, decided_by, decided_at, reason
    from review_cases where id = ${caseId} for update`);
  if (!c) throw new ReviewError('CASE_NOT_FOUND', caseId);
  return c;
}

/**
 * FOR UPDATE (not NO KEY UPDATE) on purpose: linking a record to a citizen takes a key-share lock on it
 * through the foreign key, so the identify stage cannot attach a record to a citizen while it is moved.
 */
async function lockCitizens(tx: Tx, ids: number[]): Promise<void> {
  await tx.execute(sql`select id from citizens where id = any(${arrayParam([...new Set(ids)].sort((a, b) => a - b), 'int')}) order by id for update`);
}

async function recordCitizen(tx: Tx, c: CaseRow): Promise<number | null> {
  const [r] = await rows<{ citizen_id: number }>(tx, sql`
    select citizen_id from citizen_records where record_kind = ${c.record_kind} and record_id = ${c.record_id}`);
  return r?.citizen_id ?? null;
}

/** Marks the record's link as decided by a person; answers the link it had. */
async function markRecordLink(tx: Tx, c: CaseRow, link: string): Promise<string | null> {
  const [r] = await rows<{ before: string }>(tx, sql`
    update citizen_records cr set link = ${link} from citizen_records old
    where cr.id = old.id and cr.record_kind = ${c.record_kind} and cr.record_id = ${c.record_id}
    returning old.link as before`);
  return r?.before ?? null;
}

/**
 * A registration waiting on this case becomes 'confirmed' once no other case about it is open; if it
 * was held for that, it goes back to 'identified' so the route stage takes it.
 */
async function confirmRegistration(tx: Tx, c: CaseRow): Promise<number[]> {
  if (c.record_kind !== 'registration') return [];
  await tx.execute(sql`
    update registrations r set identity = 'confirmed', updated_at = now()
    where r.id = ${c.record_id} and r.identity = 'provisional'
      and not exists (select 1 from review_cases o where o.record_kind = 'registration' and o.record_id = r.id
                      and o.status = 'open' and o.id <> ${c.id})`);
  const released = await rows<{ id: number }>(tx, sql`
    update registrations set status = 'identified', updated_at = now()
    where id = ${c.record_id} and status = 'held' and identity = 'confirmed' returning id`);
  return released.map((r) => r.id);
}

/** Moves every record of `from` to `into` and marks `from` as merged; answers what moved. */
async function merge(tx: Tx, from: number, into: number): Promise<Omit<MergeTrace, 'recordLink'>> {
  const moved = await rows<{ id: number }>(tx, sql`
    update citizen_records set citizen_id = ${into} where citizen_id = ${from} returning id`);
  const regs = await rows<{ id: number }>(tx, sql`
    update registrations set citizen_id = ${into}, updated_at = now() where citizen_id = ${from} returning id`);
  const residents = await rows<{ id: number }>(tx, sql`
    update resident_records set citizen_id = ${into}, updated_at = now() where citizen_id = ${from} returning id`);
  await tx.execute(sql`update citizens set merged_into = ${into}, updated_at = now() where id = ${from}`);
  const ids = (list: { id: number }[]) => list.map((r) => r.id).sort((a, b) => a - b);
  return { from, into, citizenRecords: ids(moved), registrations: ids(regs), residents: ids(residents) };
}

async function audit(tx: Tx, actor: Actor, action: string, c: CaseRow, detail: Record<string, unknown>): Promise<void> {
  await tx.execute(sql`insert into audit_log (actor, user_id, action, target_type, target_id, region_code, detail)
    values (${actor.label}, ${actor.userId ?? null}, ${action}, 'review_cases', ${String(c.id)}, ${c.kecamatan_code},
            ${JSON.stringify({ ...(actor.keyId !== undefined ? { keyId: actor.keyId } : {}), ...detail })}::jsonb)`);
}

async function release(queues: Queues, caseId: number, ids: number[]): Promise<boolean> {
  if (ids.length === 0) return false;
  try {
    // The origin is unique per decision: a job id reused after decide → split → decide would be ignored by BullMQ.
    await queues.enqueue('route', ids, `review${caseId}.${Date.now()}`);
    return false;
  } catch {
    return true;
  }
}

/**
 * Staff decide a review case. 'same': the record's citizen is merged into the candidate (every record,
 * registration and resident record follows the survivor, the golden record is recomputed). 'different':
 * the pair is remembered (see rejectedPairs). Either way the record's registration is confirmed and,
 * if held, released to routing. Deciding again the same way changes nothing; the other way is refused
 * until the case is split.
 */
export async function decideCase(db: Db, queues: Queues, caseId: number, decision: Decision, actor: Actor, reason: string): Promise<CaseOutcome> {
  const result = await db.transaction(async (tx) => {
    // Before any row lock: an identify batch holds this lock while it waits on citizens' rows.
    if (decision === 'same') await lockIdentify(tx);
    const c = await lockCase(tx, caseId);
    if (c.status === decision) {
      const current = await recordCitizen(tx, c);
      const root = current === null ? null : (await citizenRoots(tx, [current])).get(current) ?? current;
      return { c, changed: false, citizenId: root, released: [] as number[] };
    }
    if (c.status !== 'open') throw new ReviewError('CASE_ALREADY_DECIDED', caseId, c.status);

    let citizenId: number | null;
    const detail: Record<string, unknown> = { reason, recordKind: c.record_kind, recordId: c.record_id };
    if (decision === 'same') {
      const current = (await recordCitizen(tx, c)) ?? c.citizen_id;
      const roots = await citizenRoots(tx, [current, c.candidate_citizen_id]);
      const from = roots.get(current) ?? current;
      const into = roots.get(c.candidate_citizen_id) ?? c.candidate_citizen_id;
      await lockCitizens(tx, [from, into]);
      const recordLink = await markRecordLink(tx, c, 'manual');
      const trace: MergeTrace = from === into
        ? { from, into, citizenRecords: [], registrations: [], residents: [], recordLink }
        : { ...(await merge(tx, from, into)), recordLink };
      await refreshGoldenRecords(tx, [into]);
      detail.merge = trace;
      citizenId = into;
    } else {
      detail.recordLink = await markRecordLink(tx, c, 'manual');
      const current = await recordCitizen(tx, c);
      citizenId = current === null ? null : (await citizenRoots(tx, [current])).get(current) ?? current;
    }
    const [decided] = await rows<CaseRow>(tx, sql`
      update review_cases set status = ${decision}, decided_by = ${actor.label}, decided_at = now(), reason = ${reason}
      where id = ${caseId}
      returning id, kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, status, decided_by, decided_at, reason`);
    const released = await confirmRegistration(tx, c);
    await audit(tx, actor, `review.${decision}`, c, { ...detail, released });
    return { c: decided!, changed: true, citizenId, released };
  });
  const routingDeferred = await release(queues, caseId, result.released);
  return {
    caseId, status: result.c.status, changed: result.changed, citizenId: result.citizenId, released: result.released, routingDeferred,
    decidedBy: result.c.decided_by, decidedAt: result.c.decided_at, reason: result.c.reason,
  };
}

/**
 * Reverses a 'same' decision: the records the merge moved go back to the citizen they came from, which
 * is no longer merged; both golden records are recomputed and the case is open again, its registration
 * provisional again (a registration already routed stays routed). Splitting a case already split is a no-op.
 */
export async function splitCase(db: Db, caseId: number, actor: Actor, reason: string): Promise<CaseOutcome> {
  const result = await db.transaction(async (tx) => {
    await lockIdentify(tx);
    const c = await lockCase(tx, caseId);
    const [last] = await rows<{ action: string; detail: { merge?: MergeTrace } | null }>(tx, sql`
      select action, detail from audit_log
      where target_type = 'review_cases' and target_id = ${String(caseId)} and action in ('review.same', 'review.split', 'review.different')
      order by id desc limit 1`);
    if (c.status === 'open' && last?.action === 'review.split') {
      return { c, changed: false, citizenId: await recordCitizen(tx, c) };
    }
    if (c.status !== 'same') throw new ReviewError('CASE_NOT_MERGED', caseId, c.status);
    const trace = last?.action === 'review.same' ? last.detail?.merge : undefined;
    if (!trace) throw new ReviewError('MERGE_RECORD_MISSING', caseId, c.status);

    const holders = trace.citizenRecords.length
      ? (await rows<{ citizen_id: number }>(tx, sql`
          select distinct citizen_id from citizen_records where id = any(${arrayParam(trace.citizenRecords, 'int')})`)).map((r) => r.citizen_id)
      : [];
    await lockCitizens(tx, [trace.from, trace.into, ...holders]);
    if (trace.from !== trace.into) {
      await tx.execute(sql`update citizen_records set citizen_id = ${trace.from} where id = any(${arrayParam(trace.citizenRecords, 'int')})`);
      await tx.execute(sql`update registrations set citizen_id = ${trace.from}, updated_at = now() where id = any(${arrayParam(trace.registrations, 'int')})`);
      await tx.execute(sql`update resident_records set citizen_id = ${trace.from}, updated_at = now() where id = any(${arrayParam(trace.residents, 'int')})`);
      await tx.execute(sql`update citizens set merged_into = null, updated_at = now() where id = ${trace.from}`);
    }
    if (trace.recordLink) await markRecordLink(tx, c, trace.recordLink);
    if (c.record_kind === 'registration') {
      await tx.execute(sql`update registrations set identity = 'provisional', updated_at = now() where id = ${c.record_id}`);
    }
    await refreshGoldenRecords(tx, [trace.from, trace.into, ...holders]);
    const [reopened] = await rows<CaseRow>(tx, sql`
      update review_cases set status = 'open', decided_by = null, decided_at = null, reason = null where id = ${caseId}
      returning id, kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, status, decided_by, decided_at, reason`);
    await audit(tx, actor, 'review.split', c, { reason, restored: trace, previousDecision: { by: c.decided_by, at: c.decided_at, reason: c.reason } });
    return { c: reopened!, changed: true, citizenId: await recordCitizen(tx, c) };
  });
  return {
    caseId, status: result.c.status, changed: result.changed, citizenId: result.citizenId, released: [], routingDeferred: false,
    decidedBy: result.c.decided_by, decidedAt: result.c.decided_at, reason: result.c.reason,
  };
}

/** Who decides an automatic join, in the case and the audit log. */
export const IDENTITY_JOIN_ACTOR: Actor = { label: 'sistem:identitas' };
/** Shown to staff on the case: why no one was asked. */
export const IDENTITY_JOIN_REASON = 'Digabung otomatis: satu catatan cocok kuat dengan kedua warga dan tidak ada bukti yang membedakan mereka (NIK sah yang berbeda, jenis kelamin, tahun lahir, kembar). Pisahkan bila keliru.';

/** A record that matched two citizens strongly with no hard evidence between them (the identify stage). */
export interface CitizenJoin {
  kind: RecordKind;
  recordId: number;
  /** The record's village code: the case belongs to its kecamatan. */
  village: string;
  /** The citizen the record is linked to, and the one it showed to be the same person. */
  into: number;
  from: number;
  score: number | null;
  evidence: unknown;
}

/**
 * Joins two citizens inside an identify batch (the caller holds the identify lock), as a case
 * decided 'same' by the system, so staff see it and a split undoes it exactly as their own merge.
 * Open cases about the same two citizens are settled with it and their held registrations released.
 * Answers the survivor and the released registrations, or null when the two were already one.
 */
export async function joinCitizens(tx: Tx, j: CitizenJoin): Promise<{ into: number; caseId: number; released: number[] } | null> {
  const roots = await citizenRoots(tx, [j.from, j.into]);
  const from = roots.get(j.from) ?? j.from;
  const into = roots.get(j.into) ?? j.into;
  if (from === into) return null;
  await lockCitizens(tx, [from, into]);
  const trace: MergeTrace = { ...(await merge(tx, from, into)), recordLink: null };
  const actor = IDENTITY_JOIN_ACTOR;
  const columns = sql`id, kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, status, decided_by, decided_at, reason`;
  let [c] = await rows<CaseRow>(tx, sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score, evidence, status, decided_by, decided_at, reason)
    values (left(${j.village}, 6), ${j.kind}, ${j.recordId}, ${into}, ${from}, ${j.score}, ${JSON.stringify(j.evidence ?? null)}::jsonb,
            'same', ${actor.label}, now(), ${IDENTITY_JOIN_REASON})
    on conflict (record_kind, record_id, candidate_citizen_id) do update
      set status = 'same', decided_by = excluded.decided_by, decided_at = now(), reason = excluded.reason
      where review_cases.status = 'open'
    returning ${columns}`);
  // A case about this record and citizen already decided (the record identified again): it stands.
  c ??= (await rows<CaseRow>(tx, sql`select ${columns} from review_cases
    where record_kind = ${j.kind} and record_id = ${j.recordId} and candidate_citizen_id = ${from}`))[0];
  await audit(tx, actor, 'review.same', c!, { reason: IDENTITY_JOIN_REASON, recordKind: j.kind, recordId: j.recordId, automatic: true, merge: trace });
  // Cases still open about the two: the join answered them. Their trace moves nothing (the join did),
  // so a split of one reopens it only; a split of the join's own case moves the records back.
  const settled = await rows<CaseRow>(tx, sql`
    update review_cases set status = 'same', decided_by = ${actor.label}, decided_at = now(), reason = ${IDENTITY_JOIN_REASON}
    where status = 'open' and id <> ${c!.id}
      and ((citizen_id = ${from} and candidate_citizen_id = ${into}) or (citizen_id = ${into} and candidate_citizen_id = ${from}))
    returning ${columns}`);
  const released: number[] = [];
  for (const s of settled) {
    const none: MergeTrace = { from: into, into, citizenRecords: [], registrations: [], residents: [], recordLink: null };
    const freed = await confirmRegistration(tx, s);
    released.push(...freed);
    await audit(tx, actor, 'review.same', s, { reason: IDENTITY_JOIN_REASON, recordKind: s.record_kind, recordId: s.record_id, automatic: true, merge: none, released: freed });
  }
  return { into, caseId: c!.id, released };
}
