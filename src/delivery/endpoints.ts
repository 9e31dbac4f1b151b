import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { DeliveryError } from './deliveryError.js';
import { newSecret } from './signature.js';

export interface EndpointRow {
  id: number; kind: 'agency' | 'village'; agency_code: string | null; kecamatan_code: string | null; village_code: string | null;
  url: string; secret: string; previous_secret: string | null; previous_secret_until: Date | null; max_in_flight: number; enabled: boolean;
  created_at: Date; updated_at: Date;
}

/** An endpoint as the admin sees it: never its secrets, except right after setting or rotating one. */
export function endpointOut(e: EndpointRow, counts?: { pending: number; sending: number; delivered: number; failed: number }) {
  return {
    id: e.id, kind: e.kind, agency: e.agency_code, kecamatanCode: e.kecamatan_code, villageCode: e.village_code, url: e.url,
    maxInFlight: e.max_in_flight, enabled: e.enabled,
    previousSecretValidUntil: e.previous_secret_until && new Date(e.previous_secret_until) > new Date() ? new Date(e.previous_secret_until).toISOString() : null,
    createdAt: new Date(e.created_at).toISOString(), updatedAt: new Date(e.updated_at).toISOString(),
    ...(counts ? { items: counts } : {}),
  };
}

export interface EndpointTarget { kind: 'agency'; agency: string; kecamatan: string | null }
export interface VillageTarget { kind: 'village'; village: string }

/**
 * Creates the endpoint of an agency (or of one kecamatan's office of it), or of a village system, or
 * changes its URL; a new endpoint gets a secret, an existing one keeps its own. Waiting items of the
 * agency are pushed from now on (the dispatcher adopts them); audited.
 */
export async function setEndpoint(db: Queryable, target: EndpointTarget | VillageTarget, url: string, actor: string, maxInFlight?: number): Promise<{ endpoint: EndpointRow; created: boolean }> {
  return db.transaction(async (tx) => {
    const where = target.kind === 'agency'
      ? sql`kind = 'agency' and agency_code = ${target.agency} and coalesce(kecamatan_code, '') = ${target.kecamatan ?? ''}`
      : sql`kind = 'village' and village_code = ${target.village}`;
    const [existing] = await rows<EndpointRow>(tx, sql`select * from webhook_endpoints where ${where} for update`);
    let endpoint: EndpointRow;
    if (existing) {
      [endpoint] = await rows<EndpointRow>(tx, sql`update webhook_endpoints set url = ${url}, enabled = true,
        max_in_flight = ${maxInFlight ?? existing.max_in_flight}, updated_at = now() where id = ${existing.id} returning *`) as [EndpointRow];
    } else {
      [endpoint] = await rows<EndpointRow>(tx, sql`insert into webhook_endpoints (kind, agency_code, kecamatan_code, village_code, url, secret, max_in_flight)
        values (${target.kind}, ${target.kind === 'agency' ? target.agency : null}, ${target.kind === 'agency' ? target.kecamatan : null},
                ${target.kind === 'village' ? target.village : null}, ${url}, ${newSecret()}, ${maxInFlight ?? 16}) returning *`) as [EndpointRow];
    }
    await audit(tx, actor, existing ? 'webhook.update' : 'webhook.create', endpoint, { url });
    return { endpoint, created: !existing };
  });
}

/** A new secret; the old one keeps signing (both signatures are sent) for `graceHours`, so the receiver can switch at leisure. */
export async function rotateSecret(db: Queryable, id: number, graceHours: number, actor: string): Promise<EndpointRow> {
  return db.transaction(async (tx) => {
    const [e] = await rows<EndpointRow>(tx, sql`update webhook_endpoints set previous_secret = secret,
        previous_secret_until = now() + make_interval(secs => ${graceHours * 3600}), secret = ${newSecret()}, updated_at = now()
      where id = ${id} returning *`);
    if (!e) throw new DeliveryError('ENDPOINT_NOT_FOUND');
    await audit(tx, actor, 'webhook.rotate', e, { graceHours });
    return e;
  });
}

/** Turns push off: items not yet delivered go back to the pull queue; the endpoint stays listed. */
export async function disableEndpoint(db: Queryable, id: number, actor: string): Promise<EndpointRow> {
  return db.transaction(async (tx) => {
    const [e] = await rows<EndpointRow>(tx, sql`update webhook_endpoints set enabled = false, updated_at = now() where id = ${id} returning *`);
    if (!e) throw new DeliveryError('ENDPOINT_NOT_FOUND');
    await tx.execute(sql`update deliveries set push_state = null, push_endpoint_id = null, next_attempt_at = null, push_lease_until = null
      where push_endpoint_id = ${id} and push_state in ('pending', 'sending', 'failed') and status = 'waiting'`);
    await tx.execute(sql`update registration_events set push_state = null, next_attempt_at = null
      where village_code = ${e.village_code} and push_state in ('pending', 'sending')`);
    await audit(tx, actor, 'webhook.disable', e, {});
    return e;
  });
}

export async function getEndpoint(db: Queryable, id: number): Promise<EndpointRow> {
  const [e] = await rows<EndpointRow>(db, sql`select * from webhook_endpoints where id = ${id}`);
  if (!e) throw new DeliveryError('ENDPOINT_NOT_FOUND');
  return e;
}

/** Every endpoint with how many of its items wait, are in flight, were delivered or are parked. */
export async function listEndpoints(db: Queryable) {
  const list = await rows<EndpointRow & { pending: number; sending: number; delivered: number; failed: number }>(db, sql`
    select e.*, coalesce(c.pending, 0)::int as pending, coalesce(c.sending, 0)::int as sending,
           coalesce(c.delivered, 0)::int as delivered, coalesce(c.failed, 0)::int as failed
    from webhook_endpoints e left join lateral (
      select count(*) filter (where push_state = 'pending') as pending, count(*) filter (where push_state = 'sending') as sending,
             count(*) filter (where push_state = 'delivered') as delivered, count(*) filter (where push_state = 'failed') as failed
      from deliveries where push_endpoint_id = e.id) c on e.kind = 'agency'
    order by e.kind, e.agency_code, e.kecamatan_code nulls first, e.village_code`);
  return list.map((e) => endpointOut(e, { pending: e.pending, sending: e.sending, delivered: e.delivered, failed: e.failed }));
}

/** Items parked after a day of failed pushes, for the admin to look at and redeliver. */
export async function failedItems(db: Queryable, filter: { agency?: string; endpointId?: number; after?: number; limit?: number }) {
  const list = await rows<{ id: number; registration_id: number; agency_code: string; kecamatan_code: string | null; push_endpoint_id: number;
    push_attempts: number; first_attempt_at: Date | null; last_error: string | null; service_code: string; village_code: string }>(db, sql`
    select d.id, d.registration_id, d.agency_code, d.kecamatan_code, d.push_endpoint_id, d.push_attempts, d.first_attempt_at, d.last_error,
           r.service_code, r.village_code
    from deliveries d join registrations r on r.id = d.registration_id
    where d.push_state = 'failed' and d.id > ${filter.after ?? 0}
      ${filter.agency ? sql`and d.agency_code = ${filter.agency}` : sql``}
      ${filter.endpointId ? sql`and d.push_endpoint_id = ${filter.endpointId}` : sql``}
    order by d.id limit ${filter.limit ?? 100}`);
  return list.map((d) => ({
    id: d.id, registrationId: d.registration_id, agency: d.agency_code, kecamatanCode: d.kecamatan_code, endpointId: d.push_endpoint_id,
    attempts: d.push_attempts, firstAttemptAt: d.first_attempt_at ? new Date(d.first_attempt_at).toISOString() : null, lastError: d.last_error,
    service: d.service_code, villageCode: d.village_code,
  }));
}

/**
 * Sends items again: parked (failed) items get a fresh day of retries under the same webhook-id (the
 * receiver never took them); delivered items are sent again only when named, under a new webhook-id,
 * because the admin asked the receiver to take them again.
 */
export async function redeliver(db: Queryable, sel: { deliveryIds?: number[]; endpointId?: number; agency?: string }, actor: string): Promise<{ requeued: number }> {
  return db.transaction(async (tx) => {
    const named = sel.deliveryIds?.length ? sql`d.id = any(${arrayParam(sel.deliveryIds, 'int')})` : sql`d.push_state = 'failed'`;
    const moved = await rows<{ id: number }>(tx, sql`
      update deliveries d set push_state = 'pending', next_attempt_at = now(), first_attempt_at = null, push_attempts = 0,
        push_lease_until = null, last_error = null,
        push_generation = case when d.push_state = 'delivered' then d.push_generation + 1 else d.push_generation end
      where ${named} and d.push_state in ('failed', 'delivered') and d.push_endpoint_id is not null and d.status <> 'withdrawn'
        ${sel.endpointId ? sql`and d.push_endpoint_id = ${sel.endpointId}` : sql``}
        ${sel.agency ? sql`and d.agency_code = ${sel.agency}` : sql``}
      returning d.id`);
    await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, detail)
      values (${actor}, 'webhook.redeliver', 'deliveries', ${moved.map((m) => m.id).slice(0, 1000).join(',')},
              ${JSON.stringify({ count: moved.length, ...sel })}::jsonb)`);
    return { requeued: moved.length };
  });
}

/** The last attempts of an endpoint (newest first): outcome, response code, latency, error code. */
export async function endpointAttempts(db: Queryable, endpointId: number, limit = 100, deliveryId?: number) {
  const list = await rows<{ id: number; delivery_id: number | null; event_id: number | null; at: Date; outcome: string; response_code: number | null; latency_ms: number; error: string | null }>(db, sql`
    select id, delivery_id, event_id, at, outcome, response_code, latency_ms, error from webhook_attempts
    where endpoint_id = ${endpointId} ${deliveryId ? sql`and delivery_id = ${deliveryId}` : sql``} order by id desc limit ${limit}`);
  return list.map((a) => ({
    id: Number(a.id), deliveryId: a.delivery_id, eventId: a.event_id === null ? null : Number(a.event_id), at: new Date(a.at).toISOString(),
    outcome: a.outcome, responseCode: a.response_code, latencyMs: a.latency_ms, error: a.error,
  }));
}

async function audit(tx: Queryable, actor: string, action: string, e: EndpointRow, detail: Record<string, unknown>) {
  await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
    values (${actor}, ${action}, 'webhook_endpoints', ${String(e.id)}, ${e.village_code ?? e.kecamatan_code},
            ${JSON.stringify({ kind: e.kind, agency: e.agency_code, ...detail })}::jsonb)`);
}
