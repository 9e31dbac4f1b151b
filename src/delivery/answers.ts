import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { DeliveryError } from './deliveryError.js';

/** The agency's answer: received → in progress → done (with a document number) or refused (with a reason). */
export const ANSWER_STATUSES = ['diterima', 'diproses', 'selesai', 'ditolak'] as const;
export type AnswerStatus = (typeof ANSWER_STATUSES)[number];
const RANK: Record<AnswerStatus, number> = { diterima: 1, diproses: 2, selesai: 3, ditolak: 3 };
export const isFinal = (s: string | null) => s === 'selesai' || s === 'ditolak';

export interface AnswerInput {
  deliveryId: number;
  agency: string;
  /** Set for a kecamatan office's key: only its kecamatan's items. */
  kecamatan: string | null;
  status: AnswerStatus;
  documentNumber?: string | null;
  reason?: string | null;
  actor: string;
  channel: 'api' | 'webhook';
}

export interface AnswerResult {
  id: number;
  registrationId: number;
  status: string;
  answer: { status: AnswerStatus; documentNumber: string | null; reason: string | null; at: string };
  /** False when the item already had this answer (a repeated call changes nothing). */
  changed: boolean;
}

interface Row {
  id: number; registration_id: number; status: string; kecamatan_code: string | null; push_state: string | null;
  answer_status: AnswerStatus | null; answer_document_number: string | null; answer_reason: string | null; answered_at: Date | null;
  village_code: string;
}

/**
 * Records the agency's answer on its item, one step forward at a time (a step may be skipped; none is
 * undone, nothing follows selesai or ditolak). The item must have reached the agency (claimed, acked or
 * pushed); an answer on a claimed item acknowledges it. The registration's history gets an event, which
 * the village's endpoint receives when it has one, and its updated_at moves so the village feed shows it.
 */
export async function answerItem(db: Queryable, input: AnswerInput): Promise<AnswerResult> {
  if (input.status === 'ditolak' && !input.reason) throw new DeliveryError('REASON_REQUIRED');
  if (input.documentNumber && input.status !== 'selesai') throw new DeliveryError('DOCUMENT_NUMBER_NOT_ALLOWED', { status: input.status });
  return db.transaction(async (tx) => {
    const [row] = await rows<Row>(tx, sql`
      select d.id, d.registration_id, d.status, d.kecamatan_code, d.push_state, d.answer_status, d.answer_document_number,
             d.answer_reason, d.answered_at, r.village_code
      from deliveries d join registrations r on r.id = d.registration_id
      where d.id = ${input.deliveryId} and d.agency_code = ${input.agency} for update of d`);
    if (!row || (input.kecamatan && row.kecamatan_code !== input.kecamatan)) throw new DeliveryError('ITEM_NOT_FOUND');
    const out = (r: Pick<Row, 'status' | 'answer_document_number' | 'answer_reason' | 'answered_at'>, changed: boolean): AnswerResult => ({
      id: row.id, registrationId: row.registration_id, status: r.status,
      answer: { status: input.status, documentNumber: r.answer_document_number, reason: r.answer_reason, at: new Date(r.answered_at!).toISOString() },
      changed,
    });
    if (row.answer_status === input.status) return out(row, false);
    if (isFinal(row.answer_status)) throw new DeliveryError('ITEM_ANSWER_FINAL', { current: row.answer_status });
    if (row.answer_status && RANK[input.status] < RANK[row.answer_status]) throw new DeliveryError('ITEM_STATUS_BACKWARD', { current: row.answer_status });
    if (row.status === 'waiting' && row.push_state !== 'delivered') throw new DeliveryError('ITEM_NOT_TAKEN', { current: row.status });
    const [updated] = await rows<Row>(tx, sql`
      update deliveries set answer_status = ${input.status}, answer_document_number = ${input.documentNumber ?? null},
        answer_reason = ${input.reason ?? null}, answered_at = now(),
        status = case when status = 'claimed' then 'acked' else status end,
        acked_at = case when status = 'claimed' then now() else acked_at end
      where id = ${row.id}
      returning status, answer_document_number, answer_reason, answered_at`);
    // The village system hears of it when it has an endpoint; otherwise the event is history only.
    await tx.execute(sql`
      insert into registration_events (registration_id, delivery_id, status, document_number, reason, actor, channel, village_code,
        push_state, next_attempt_at)
      select ${row.registration_id}, ${row.id}, ${input.status}, ${input.documentNumber ?? null}, ${input.reason ?? null},
        ${input.actor}, ${input.channel}, ${row.village_code},
        case when e.id is null then null else 'pending' end, case when e.id is null then null else now() end
      from (select 1) one left join webhook_endpoints e on e.kind = 'village' and e.village_code = ${row.village_code} and e.enabled`);
    await tx.execute(sql`update registrations set updated_at = now() where id = ${row.registration_id}`);
    await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${input.actor}, 'agency.answer', 'deliveries', ${String(row.id)}, ${row.kecamatan_code},
              ${JSON.stringify({ status: input.status, channel: input.channel, registrationId: row.registration_id })}::jsonb)`);
    return out(updated!, true);
  });
}
