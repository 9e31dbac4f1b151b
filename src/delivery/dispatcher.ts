import http from 'node:http';
import https from 'node:https';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { HubConfig } from '../config/load.js';
import type { Logger } from '../runtime/logger.js';
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy } from './backoff.js';
import { signatureHeader } from './signature.js';
import { ANSWER_STATUSES, answerItem, type AnswerStatus } from './answers.js';
import { dueAt } from './serviceLevel.js';
import type { EndpointRow } from './endpoints.js';

export interface DispatcherOptions {
  /** How often Postgres is asked for due items when nothing else wakes the dispatcher. */
  pollMs?: number;
  /** A receiver that has not answered by then counts as failed (TIMEOUT). */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** How long a sender's lease outlives its request timeout; another sender takes an item over only after it. */
  leaseMarginMs?: number;
}

export interface Dispatcher {
  /** Asks for due items now (after routing, a redelivery). */
  wake(): void;
  close(): Promise<void>;
}

interface Lane {
  endpoint: EndpointRow;
  secrets: string[];
  agent: http.Agent;
  inFlight: number;
}

interface Claimed {
  id: number; webhook_id: string; first_attempt_at: Date; push_attempts: number; body: string;
  answer_target?: { agency: string; kecamatan: string | null };
}

interface Outcome {
  lane: Lane; item: Claimed; ok: boolean; code: number | null; latencyMs: number; error: string | null;
  answer?: { status: AnswerStatus; documentNumber?: string; reason?: string };
}

const MAX_BODY = 64 * 1024;
const ENDPOINTS_REFRESH_MS = 2000;

/**
 * Pushes routed items to agencies' endpoints and progress events to villages' endpoints. Postgres holds
 * every item's state (pending → sending → delivered | failed): a sender leases what it sends, so after
 * a kill -9 the lease runs out and any sender takes the item over; Redis is not involved, so a flush
 * loses nothing. Each endpoint has its own cap of requests in flight and its own connection pool: a
 * slow or dead endpoint fills only its own lanes. Results are written in batches (one statement per
 * flush), which is what lets one process push thousands of items a second.
 */
export function startDispatcher(ctx: { db: Db; config: HubConfig; log: Logger }, opts: DispatcherOptions = {}): Dispatcher {
  const { db, log } = ctx;
  const pollMs = opts.pollMs ?? 250;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retry = opts.retry ?? DEFAULT_RETRY;
  // The lease outlives the request: a live sender always writes its result before another may take over.
  const leaseSeconds = Math.ceil((timeoutMs + (opts.leaseMarginMs ?? 30_000)) / 1000);
  const lanes = new Map<number, Lane>();
  let lanesAt = 0;
  let closed = false;
  let ticking: Promise<void> | null = null;
  let again = false;
  const pending: Outcome[] = [];
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const sends = new Set<Promise<void>>();

  async function refreshLanes(): Promise<void> {
    const list = await rows<EndpointRow>(db, sql`select * from webhook_endpoints where enabled`);
    const seen = new Set<number>();
    for (const e of list) {
      seen.add(e.id);
      const secrets = [e.secret, ...(e.previous_secret && e.previous_secret_until && new Date(e.previous_secret_until) > new Date() ? [e.previous_secret] : [])];
      const lane = lanes.get(e.id);
      if (lane && lane.endpoint.url === e.url && lane.endpoint.max_in_flight === e.max_in_flight) {
        lane.endpoint = e;
        lane.secrets = secrets;
        continue;
      }
      lane?.agent.destroy();
      const Agent = e.url.startsWith('https:') ? https.Agent : http.Agent;
      lanes.set(e.id, { endpoint: e, secrets, agent: new Agent({ keepAlive: true, maxSockets: e.max_in_flight }), inFlight: lane?.inFlight ?? 0 });
    }
    for (const [id, lane] of lanes) if (!seen.has(id) && lane.inFlight === 0) { lane.agent.destroy(); lanes.delete(id); }
    lanesAt = Date.now();
  }

  /** Waiting items of agencies with an endpoint become push items of the most specific endpoint (kecamatan first). */
  async function adopt(): Promise<void> {
    const agencies = [...new Set([...lanes.values()].filter((l) => l.endpoint.kind === 'agency').map((l) => l.endpoint.agency_code!))];
    if (agencies.length === 0) return;
    await db.execute(sql`
      update deliveries d set push_endpoint_id = x.eid, push_state = 'pending', next_attempt_at = now()
      from (
        select d2.id, (select e.id from webhook_endpoints e
                       where e.kind = 'agency' and e.enabled and e.agency_code = d2.agency_code
                         and (e.kecamatan_code = d2.kecamatan_code or e.kecamatan_code is null)
                       order by e.kecamatan_code nulls last limit 1) as eid
        from deliveries d2
        where d2.status = 'waiting' and d2.push_state is null and d2.agency_code = any(${arrayParam(agencies, 'text')})
        order by d2.id limit 5000) x
      where d.id = x.id and x.eid is not null and d.status = 'waiting' and d.push_state is null`);
  }

  async function claimAgency(lane: Lane, n: number): Promise<Claimed[]> {
    const list = await rows<{
      id: number; push_generation: number; push_attempts: number; first_attempt_at: Date; registration_id: number; queue: string;
      kecamatan_code: string | null; agency_code: string; created_at: Date; service_code: string; external_id: string; village_code: string;
      submitted_at: Date | null; identity: string | null; citizen_id: number | null; applicant: unknown; details: unknown; cancelled_at: Date | null;
    }>(db, sql`
      with c as (
        update deliveries d set push_state = 'sending', push_lease_until = now() + make_interval(secs => ${leaseSeconds}),
          first_attempt_at = coalesce(d.first_attempt_at, now())
        where d.id in (
          select id from deliveries
          where push_endpoint_id = ${lane.endpoint.id} and push_state in ('pending', 'sending') and next_attempt_at <= now()
            and (push_state = 'pending' or push_lease_until < now()) and status <> 'withdrawn'
          order by next_attempt_at limit ${n} for update skip locked)
        returning d.*)
      select c.id, c.push_generation, c.push_attempts, c.first_attempt_at, c.registration_id, c.queue, c.kecamatan_code, c.agency_code,
             c.created_at, c.cancelled_at, r.service_code, r.external_id, r.village_code, r.submitted_at, r.identity, r.citizen_id,
             r.applicant, r.details
      from c join registrations r on r.id = c.registration_id`);
    const now = new Date();
    return list.map((d) => {
      const service = ctx.config.services.get(d.service_code);
      const data = {
        id: d.id, registrationId: d.registration_id, queue: d.queue, agency: d.agency_code, kecamatanCode: d.kecamatan_code,
        service: d.service_code, externalId: d.external_id, villageCode: d.village_code,
        submittedAt: d.submitted_at ? new Date(d.submitted_at).toISOString() : null, identity: d.identity, citizenId: d.citizen_id,
        routedAt: new Date(d.created_at).toISOString(),
        dueAt: service ? dueAt(new Date(d.created_at), service.serviceLevelDays).toISOString() : null,
        cancelledAt: d.cancelled_at ? new Date(d.cancelled_at).toISOString() : null,
        applicant: d.applicant, details: d.details,
      };
      return {
        id: d.id, webhook_id: `dlv_${d.id}${d.push_generation ? `_${d.push_generation}` : ''}`, first_attempt_at: d.first_attempt_at,
        push_attempts: d.push_attempts, body: JSON.stringify({ type: 'registration.routed', timestamp: now.toISOString(), data }),
        answer_target: { agency: d.agency_code, kecamatan: null },
      };
    });
  }

  async function claimVillage(lane: Lane, n: number): Promise<Claimed[]> {
    const list = await rows<{
      id: number; push_attempts: number; first_attempt_at: Date; registration_id: number; at: Date; status: string; document_number: string | null;
      reason: string | null; external_id: string; service_code: string; route_agency: string | null;
    }>(db, sql`
      with c as (
        update registration_events ev set push_state = 'sending', push_lease_until = now() + make_interval(secs => ${leaseSeconds}),
          first_attempt_at = coalesce(ev.first_attempt_at, now())
        where ev.id in (
          select id from registration_events
          where village_code = ${lane.endpoint.village_code} and push_state in ('pending', 'sending') and next_attempt_at <= now()
            and (push_state = 'pending' or push_lease_until < now())
          order by next_attempt_at, id limit ${n} for update skip locked)
        returning ev.*)
      select c.id, c.push_attempts, c.first_attempt_at, c.registration_id, c.at, c.status, c.document_number, c.reason,
             r.external_id, r.service_code, r.route_agency
      from c join registrations r on r.id = c.registration_id`);
    const now = new Date().toISOString();
    return list.map((e) => ({
      id: Number(e.id), webhook_id: `evt_${e.id}`, first_attempt_at: e.first_attempt_at, push_attempts: e.push_attempts,
      // Ids and the answer only: the village has the applicant already.
      body: JSON.stringify({ type: 'registration.progress', timestamp: now, data: {
        registrationId: e.registration_id, externalId: e.external_id, service: e.service_code, agency: e.route_agency,
        status: e.status, documentNumber: e.document_number, reason: e.reason, at: new Date(e.at).toISOString(),
      } }),
    }));
  }

  function send(lane: Lane, item: Claimed): Promise<void> {
    lane.inFlight++;
    const started = performance.now();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = Buffer.from(item.body);
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (o: Omit<Outcome, 'lane' | 'item' | 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        lane.inFlight--;
        pending.push({ lane, item, latencyMs: Math.round(performance.now() - started), ...o });
        scheduleFlush();
        resolve();
      };
      const mod = lane.endpoint.url.startsWith('https:') ? https : http;
      const req = mod.request(lane.endpoint.url, {
        method: 'POST', agent: lane.agent,
        headers: {
          'content-type': 'application/json', 'content-length': body.length, 'user-agent': 'tiyuh-hub-webhooks/1',
          'webhook-id': item.webhook_id, 'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(lane.secrets, item.webhook_id, timestamp, item.body),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
        res.on('error', () => done({ ok: false, code: res.statusCode ?? null, error: 'RESPONSE_ABORTED' }));
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const ok = code >= 200 && code < 300;
          done({ ok, code, error: ok ? null : `HTTP_${code}`, answer: ok && item.answer_target ? answerOf(chunks, size) : undefined });
        });
      });
      const timer = setTimeout(() => req.destroy(new Error('TIMEOUT')), timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, code: null, error: err.message === 'TIMEOUT' ? 'TIMEOUT' : (err.code ?? 'REQUEST_FAILED').slice(0, 48) }));
      req.end(body);
    });
  }

  function scheduleFlush(): void {
    if (pending.length >= 500) { void flush(); return; }
    flushTimer ??= setTimeout(() => { flushTimer = null; void flush(); }, 20);
  }

  /** Writes every finished attempt in a few statements; a failure leaves the items leased, to be taken over when the lease runs out. */
  async function flush(): Promise<void> {
    if (flushing) { await flushing; if (pending.length) return flush(); return; }
    if (flushTimer) { clearTimeout(flushTimer); flushTimer = null; }
    const batch = pending.splice(0);
    if (batch.length === 0) return;
    flushing = (async () => {
      const now = Date.now();
      const decide = (o: Outcome) => {
        if (o.ok) return { state: 'delivered', next: null };
        const age = now - new Date(o.item.first_attempt_at).getTime();
        if (age >= retry.giveUpAfterMs) return { state: 'failed', next: null };
        return { state: 'pending', next: new Date(now + retryDelayMs(retry, o.item.push_attempts + 1)).toISOString() };
      };
      const agency = batch.filter((o) => o.lane.endpoint.kind === 'agency');
      const village = batch.filter((o) => o.lane.endpoint.kind === 'village');
      try {
        await db.transaction(async (tx) => {
          for (const [list, table] of [[agency, 'deliveries'], [village, 'registration_events']] as const) {
            if (list.length === 0) continue;
            const d = list.map(decide);
            const ids = arrayParam(list.map((o) => o.item.id), 'int');
            const states = arrayParam(d.map((x) => x.state), 'text');
            const next = arrayParam(d.map((x) => x.next), 'timestamptz');
            const errors = arrayParam(list.map((o) => o.error), 'text');
            if (table === 'deliveries') {
              await tx.execute(sql`
                update deliveries t set push_state = u.state, next_attempt_at = u.next, push_attempts = t.push_attempts + 1,
                  push_lease_until = null, last_error = u.err,
                  status = case when u.state = 'delivered' and t.status in ('waiting', 'claimed') then 'acked' else t.status end,
                  acked_at = case when u.state = 'delivered' and t.acked_at is null then now() else t.acked_at end
                from unnest(${ids}, ${states}, ${next}, ${errors}) as u(id, state, next, err)
                where t.id = u.id and t.push_state = 'sending'`);
            } else {
              await tx.execute(sql`
                update registration_events t set push_state = u.state, next_attempt_at = u.next, push_attempts = t.push_attempts + 1,
                  push_lease_until = null
                from unnest(${ids}, ${states}, ${next}) as u(id, state, next)
                where t.id = u.id and t.push_state = 'sending'`);
            }
          }
          await tx.execute(sql`
            insert into webhook_attempts (endpoint_id, delivery_id, event_id, outcome, response_code, latency_ms, error)
            select * from unnest(${arrayParam(batch.map((o) => o.lane.endpoint.id), 'int')},
              ${arrayParam(batch.map((o) => (o.lane.endpoint.kind === 'agency' ? o.item.id : null)), 'int')},
              ${sql.param(batch.map((o) => (o.lane.endpoint.kind === 'village' ? o.item.id : null)))}::bigint[],
              ${arrayParam(batch.map((o) => (o.ok ? 'delivered' : 'failed')), 'text')},
              ${arrayParam(batch.map((o) => o.code), 'int')}::smallint[], ${arrayParam(batch.map((o) => o.latencyMs), 'int')},
              ${arrayParam(batch.map((o) => o.error), 'text')})`);
          // The agency's system now holds the applicant's personal data: which items, through which endpoint.
          const delivered = agency.filter((o) => o.ok);
          if (delivered.length) {
            await tx.execute(sql`insert into audit_log (actor, action, target_type, target_id, detail)
              select 'webhook:' || u.ep, 'agency.push', 'deliveries', u.ids, null
              from (select ep, string_agg(id::text, ',') as ids from unnest(${arrayParam(delivered.map((o) => o.lane.endpoint.id), 'int')},
                    ${arrayParam(delivered.map((o) => o.item.id), 'int')}) as x(ep, id) group by ep) u`);
          }
        });
      } catch (err) {
        log.warn({ err: (err as Error).message, results: batch.length }, 'webhook results not written; the items are sent again after their lease');
        return;
      }
      // An answer carried in the receiver's reply is the same step as calling the status endpoint.
      for (const o of agency) {
        if (!o.answer) continue;
        await answerItem(db, {
          deliveryId: o.item.id, agency: o.item.answer_target!.agency, kecamatan: null, status: o.answer.status,
          documentNumber: o.answer.documentNumber ?? null, reason: o.answer.reason ?? null,
          actor: `webhook:${o.lane.endpoint.id}`, channel: 'webhook',
        }).catch((err: Error) => log.info({ deliveryId: o.item.id, code: err.message }, 'answer in a webhook reply refused'));
      }
    })();
    try { await flushing; } finally { flushing = null; }
    // Lanes freed by these answers take their next items.
    wake();
  }

  async function tickOnce(): Promise<void> {
    if (Date.now() - lanesAt > ENDPOINTS_REFRESH_MS) await refreshLanes();
    await adopt();
    await Promise.all([...lanes.values()].map(async (lane) => {
      if (!lane.endpoint.enabled) return;
      const free = lane.endpoint.max_in_flight - lane.inFlight;
      if (free <= 0) return;
      const items = lane.endpoint.kind === 'agency' ? await claimAgency(lane, free) : await claimVillage(lane, free);
      for (const item of items) {
        const p = send(lane, item);
        sends.add(p);
        void p.finally(() => sends.delete(p));
      }
    }));
  }

  function wake(): void {
    if (closed) return;
    if (ticking) { again = true; return; }
    ticking = (async () => {
      do {
        again = false;
        try { await tickOnce(); } catch (err) { log.warn({ err: (err as Error).message }, 'webhook dispatcher tick failed'); }
      } while (again && !closed);
    })().finally(() => { ticking = null; });
  }

  const timer = setInterval(wake, pollMs);
  timer.unref();
  wake();

  return {
    wake,
    async close() {
      closed = true;
      clearInterval(timer);
      await ticking;
      // In-flight requests finish (or time out) and their results are written; nothing is left leased needlessly.
      await Promise.all([...sends]);
      await flush();
      await flushing;
      for (const lane of lanes.values()) lane.agent.destroy();
    },
  };
}

function answerOf(chunks: Buffer[], size: number): Outcome['answer'] {
  if (size === 0 || size > MAX_BODY) return undefined;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: unknown; documentNumber?: unknown; reason?: unknown };
    if (typeof body?.status !== 'string' || !(ANSWER_STATUSES as readonly string[]).includes(body.status)) return undefined;
    return {
      status: body.status as AnswerStatus,
      ...(typeof body.documentNumber === 'string' && body.documentNumber ? { documentNumber: body.documentNumber.slice(0, 100) } : {}),
      ...(typeof body.reason === 'string' && body.reason ? { reason: body.reason.slice(0, 500) } : {}),
    };
  } catch {
    return undefined;
  }
}
