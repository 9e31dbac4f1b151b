/** An agency's queue items (deliveries): listed, claimed and acknowledged the same way by the API and the console. */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { writeAudit } from '../audit/log.js';

export interface ItemRow {
  id: number; registration_id: number; queue: string; kecamatan_code: string | null; status: string; attempts: number;
  lease_until: Date | null; created_at: Date; cancelled_at: Date | null; acked_at?: Date | null; service_code: string; external_id: string; village_code: string;
  submitted_at: Date | null; identity: string | null; citizen_id: number | null;
  /** Webhook push state and the agency's answer (src/delivery). */
  push_state: string | null; answer_status: string | null; answer_document_number: string | null; answered_at: Date | null;
}

export type ItemWithApplicant = ItemRow & { applicant: unknown; details: unknown };

export interface QueueScope { agency: string; kecamatan: string | null }

/** Who takes the items: written to the item (claimed_by, a key) and the audit log. */
export interface Taker { actor: string; keyId?: number; userId?: number }

export type ItemStatus = 'waiting' | 'claimed' | 'acked' | 'cancelled';

const SELECT = sql`select d.id, d.registration_id, d.queue, d.kecamatan_code, d.status, d.attempts, d.lease_until, d.created_at,
  d.cancelled_at, d.acked_at, d.push_state, d.answer_status, d.answer_document_number, d.answered_at, r.service_code, r.external_id, r.village_code, r.submitted_at, r.identity, r.citizen_id
  from deliveries d join registrations r on r.id = d.registration_id`;

const inQueue = (s: QueueScope) => sql`d.agency_code = ${s.agency} ${s.kecamatan ? sql`and d.kecamatan_code = ${s.kecamatan}` : sql``}`;

/** Items oldest first after `after`; `cancelled`: claimed or acknowledged items the village cancelled since. */
export async function listItems(db: Queryable, s: QueueScope, f: { status: ItemStatus; after?: number; limit: number }): Promise<ItemRow[]> {
  const which = f.status === 'cancelled' ? sql`d.cancelled_at is not null` : sql`d.status = ${f.status}`;
  return rows<ItemRow>(db, sql`${SELECT} where ${inQueue(s)} and ${which} and d.id > ${f.after ?? 0} order by d.id limit ${f.limit}`);
}

export async function countItems(db: Queryable, s: QueueScope): Promise<Record<ItemStatus, number>> {
  const [c] = await rows<Record<ItemStatus, number>>(db, sql`select
      count(*) filter (where d.status = 'waiting')::int as waiting, count(*) filter (where d.status = 'claimed')::int as claimed,
      count(*) filter (where d.status = 'acked')::int as acked, count(*) filter (where d.cancelled_at is not null)::int as cancelled
    from deliveries d where ${inQueue(s)}`);
  return c ?? { waiting: 0, claimed: 0, acked: 0, cancelled: 0 };
}

/**
 * Leases up to `max` waiting items (or items whose lease ran out, unless the village cancelled them),
 * oldest first, or just the given ones; answers them with the applicant. Agency staff now see personal
 * data, so the claim is audited with the items.
 */
export async function claimItems(db: Queryable, s: QueueScope, opts: { max: number; leaseSeconds: number; ids?: number[] }, by: Taker): Promise<ItemWithApplicant[]> {
  return db.transaction(async (tx) => {
    const ids = await rows<{ id: number }>(tx, sql`
      update deliveries set status = 'claimed', claimed_by = ${by.keyId ?? null},
        lease_until = now() + make_interval(secs => ${opts.leaseSeconds}), attempts = attempts + 1
      where id in (
        select id from deliveries d
        where ${inQueue(s)} ${opts.ids ? sql`and d.id = any(${arrayParam(opts.ids, 'int')})` : sql``}
          and (d.status = 'waiting' or (d.status = 'claimed' and d.lease_until < now() and d.cancelled_at is null))
          and (d.push_state is null or d.push_state = 'failed')
        order by d.id limit ${opts.max} for update skip locked)
      returning id`);
    if (ids.length === 0) return [];
    const items = await rows<ItemWithApplicant>(tx, sql`
      select d.id, d.registration_id, d.queue, d.kecamatan_code, d.status, d.attempts, d.lease_until, d.created_at, d.cancelled_at,
        d.push_state, d.answer_status, d.answer_document_number, d.answered_at, r.service_code, r.external_id, r.village_code, r.submitted_at, r.identity, r.citizen_id, r.applicant, r.details
      from deliveries d join registrations r on r.id = d.registration_id
      where d.id = any(${arrayParam(ids.map((i) => i.id), 'int')}) order by d.id`);
    await writeAudit(tx, {
      actor: by.actor, userId: by.userId, action: 'agency.claim', targetType: 'deliveries', targetId: items.map((i) => i.id).join(','), regionCode: s.kecamatan,
      detail: { ...(by.keyId !== undefined ? { keyId: by.keyId } : {}), agency: s.agency, registrations: items.map((i) => i.registration_id) },
    });
    return items;
  });
}

export type AckResult = { status: 'not-found' } | { status: 'not-claimed' } | { status: 'acked'; id: number; cancelledAt: Date | null; changed: boolean };

/** Acknowledges a claimed item (a cancelled one too: the agency has it; the answer says it was cancelled). */
export async function ackItem(db: Queryable, s: QueueScope, id: number, by: Taker): Promise<AckResult> {
  const [row] = await rows<{ id: number; status: string; kecamatan_code: string | null; cancelled_at: Date | null }>(db, sql`
    select d.id, d.status, d.kecamatan_code, d.cancelled_at from deliveries d where d.id = ${id} and ${inQueue(s)}`);
  if (!row) return { status: 'not-found' };
  if (row.status === 'acked') return { status: 'acked', id: row.id, cancelledAt: row.cancelled_at, changed: false };
  if (row.status !== 'claimed') return { status: 'not-claimed' };
  const [acked] = await rows<{ cancelled_at: Date | null }>(db, sql`
    update deliveries set status = 'acked', acked_at = now() where id = ${row.id} and status = 'claimed' returning cancelled_at`);
  await writeAudit(db, { actor: by.actor, userId: by.userId, action: 'agency.ack', targetType: 'deliveries', targetId: String(row.id), regionCode: row.kecamatan_code });
  return { status: 'acked', id: row.id, cancelledAt: acked ? acked.cancelled_at : row.cancelled_at, changed: !!acked };
}

/** One item with its applicant (personal data: the caller audits the read). */
export async function itemWithApplicant(db: Queryable, s: QueueScope, id: number): Promise<ItemWithApplicant | null> {
  const [item] = await rows<ItemWithApplicant>(db, sql`
    select d.id, d.registration_id, d.queue, d.kecamatan_code, d.status, d.attempts, d.lease_until, d.created_at, d.cancelled_at, d.acked_at,
      d.push_state, d.answer_status, d.answer_document_number, d.answered_at, r.service_code, r.external_id, r.village_code, r.submitted_at, r.identity, r.citizen_id, r.applicant, r.details
    from deliveries d join registrations r on r.id = d.registration_id where d.id = ${id} and ${inQueue(s)}`);
  return item ?? null;
}
