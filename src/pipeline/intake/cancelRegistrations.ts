import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';

export interface CancelRequest {
  villageCode: string;
  externalIds: readonly string[];
  /** Who cancelled, as written to the audit log (`source:<id>`, a key's label). */
  actor: string;
  reason: string;
  /** Added to each audit row's detail (e.g. the key id). */
  detail?: Record<string, unknown>;
}

export interface CancelOutcome {
  externalId: string;
  id: number | null;
  status: 'cancelled' | 'already-cancelled' | 'not-found';
  /** The agency had claimed or acknowledged the item already: it keeps it, marked cancelled. */
  afterClaim?: true;
}

/**
 * The village cancels registrations of its own (one transaction, the caller's): a registration still
 * in the pipeline becomes `cancelled`; one waiting in an agency queue also has its item `withdrawn`;
 * one the agency has claimed or acknowledged is `cancelled` too while its item keeps its status and
 * gets `cancelled_at`, so the agency sees it and no claim leases it again. An open quarantine entry of
 * the id is discarded (a replay must not bring it back). One audit row per cancelled registration.
 *
 * The registrations are locked first, so a route stage that is inserting the queue item commits before
 * we look (it locks them with SKIP LOCKED, so if we lock first it leaves them alone); a claim that has
 * locked the item is waited for and its result updated (READ COMMITTED re-reads the row).
 */
export async function cancelRegistrations(tx: Tx, req: CancelRequest): Promise<CancelOutcome[]> {
  const externalIds = [...new Set(req.externalIds)];
  if (externalIds.length === 0) return [];
  const ext = arrayParam(externalIds, 'text');
  const found = await rows<{ id: number; external_id: string; status: string }>(tx, sql`
    select id, external_id, status from registrations
    where village_code = ${req.villageCode} and external_id = any(${ext})
    order by id for update`);
  const open = found.filter((r) => r.status !== 'cancelled').map((r) => r.id);
  const cancelled = open.length === 0 ? [] : await rows<{ id: number; after_claim: boolean }>(tx, sql`
    with target as (
      select id from registrations where id = any(${arrayParam(open, 'int')}) and status <> 'cancelled'),
    item as (
      update deliveries d set status = case when d.status = 'waiting' then 'withdrawn' else d.status end,
        cancelled_at = case when d.status in ('claimed', 'acked') then now() end
      from target t where d.registration_id = t.id and d.status in ('waiting', 'claimed', 'acked') and d.cancelled_at is null
      returning d.registration_id, d.id, d.status, d.cancelled_at is not null as after_claim),
    reg as (
      update registrations r set status = 'cancelled', updated_at = now() from target t where r.id = t.id
      returning r.id, r.external_id),
    audit as (
      insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      select ${req.actor}, 'registration.cancel', 'registrations', reg.id::text, ${req.villageCode},
        jsonb_build_object('externalId', reg.external_id, 'reason', ${req.reason}::text, 'afterClaim', coalesce(i.after_claim, false),
          'deliveryId', i.id, 'deliveryStatus', i.status) || ${JSON.stringify(req.detail ?? {})}::jsonb
      from reg left join item i on i.registration_id = reg.id)
    select reg.id, coalesce(i.after_claim, false) as after_claim from reg left join item i on i.registration_id = reg.id`);
  await tx.execute(sql`update quarantine set status = 'discarded', resolved_at = now()
    where kind = 'registration' and status = 'open' and village_code = ${req.villageCode} and external_id = any(${ext})`);

  const byExt = new Map(found.map((r) => [r.external_id, r]));
  const now = new Map(cancelled.map((c) => [c.id, c.after_claim]));
  return externalIds.map((externalId): CancelOutcome => {
    const r = byExt.get(externalId);
    if (!r) return { externalId, id: null, status: 'not-found' };
    if (!now.has(r.id)) return { externalId, id: r.id, status: 'already-cancelled' };
    return { externalId, id: r.id, status: 'cancelled', ...(now.get(r.id) ? { afterClaim: true as const } : {}) };
  });
}
