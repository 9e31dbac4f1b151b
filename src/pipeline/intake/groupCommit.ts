import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from '../../db/client.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import { isUniqueViolation } from '../../db/errors.js';
import { storableJson } from './storable.js';
import { acceptedAnswer, storeRegistrations, type StoredRegistrations } from './registrations.js';
import type { ValidRegistration } from '../validate/registration.js';
import type { RecordError } from '../validate/recordError.js';

/** One registration pushed alone (`POST /v1/registrations` with one object), already validated. */
export interface SinglePush {
  villageCode: string;
  apiKeyId: number;
  idempotencyKey: string | null;
  requestHash: string;
  /** The body as received, stored as the inbox payload. */
  payload: unknown;
  value: ValidRegistration;
  warnings: RecordError[];
}

/** What the group's commit gives one push; `null` as storeRegistrations: its Idempotency-Key was committed by another request. */
export type SinglePushResult = StoredRegistrations | null;

interface Waiting { push: SinglePush; resolve: (r: SinglePushResult) => void; reject: (e: unknown) => void }

/**
 * Stores single pushes of several requests in one transaction (group commit). Villages send their
 * registrations one by one; each in its own transaction cost ≈5 statements and a stage job per record,
 * and intake held a few hundred a second. Here a push joins the next group: while `concurrency`
 * groups are committing, the pushes that arrive wait and then commit together (no timer, so a push
 * alone goes at once), with one statement per step for the whole group and one identify job for its
 * records. Every push is answered only after its group committed: a 2xx still means "in Postgres".
 * A group that fails is retried push by push, each in its own transaction, so one push cannot fail
 * the others.
 */
export class SinglePushCommitter {
  private waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly db: Db,
    /** Called once per committed group with its new registration ids and first inbox id; errors are the caller's to log. */
    private readonly committed: (newIds: number[], firstInboxId: number) => Promise<void>,
    private readonly opts: { concurrency?: number; maxGroup?: number } = {},
  ) {}

  submit(push: SinglePush): Promise<SinglePushResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ push, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running >= (this.opts.concurrency ?? 2) || this.waiting.length === 0) return;
    const group = this.waiting.splice(0, this.opts.maxGroup ?? 500);
    this.running++;
    void this.commit(group).finally(() => {
      this.running--;
      this.next();
    });
  }

  private async commit(group: Waiting[]): Promise<void> {
    let results: SinglePushResult[];
    try {
      results = await this.db.transaction((tx) => storeSinglePushes(tx, group.map((w) => w.push)));
    } catch {
      // One push's failure must not fail the group's others: each alone, as a request of its own.
      await Promise.all(group.map(async (w) => {
        try {
          const r = await this.alone(w.push);
          if (r) await this.committed(r.newIds, r.response.submissionId).catch(() => undefined);
          w.resolve(r);
        } catch (err) {
          w.reject(err);
        }
      }));
      return;
    }
    const newIds = results.flatMap((r) => r?.newIds ?? []);
    const first = results.find((r) => r !== null)?.response.submissionId ?? 0;
    await this.committed(newIds, first).catch(() => undefined);
    group.forEach((w, i) => w.resolve(results[i]!));
  }

  private async alone(push: SinglePush): Promise<SinglePushResult> {
    try {
      return await this.db.transaction((tx) => storeRegistrations(tx, {
        channel: 'push', villageCode: push.villageCode, apiKeyId: push.apiKeyId, idempotencyKey: push.idempotencyKey,
        requestHash: push.requestHash, payload: push.payload, list: [push.payload],
        checks: [{ ok: true, value: push.value, warnings: push.warnings }],
      }));
    } catch (err) {
      // As in the route: a concurrent request's Idempotency-Key surfaces as a unique violation.
      if (push.idempotencyKey && isUniqueViolation(err)) return null;
      throw err;
    }
  }
}

/**
 * The statements of storeRegistrations for many single pushes at once, inside the caller's
 * transaction: inbox rows (an Idempotency-Key already committed, or twice in the group, leaves its
 * push null), the registrations (a known externalId of the village is answered as a duplicate), and
 * each inbox row's answer. Answers in the order of `pushes`.
 */
export async function storeSinglePushes(tx: Tx, pushes: readonly SinglePush[]): Promise<SinglePushResult[]> {
  // Ids are drawn in the statement, one per push, so each push knows its inbox row (RETURNING has no order).
  const inbox = await rows<{ n: number; id: number; inserted: boolean }>(tx, sql`
    with u as materialized (
      select u.*, nextval(pg_get_serial_sequence('inbox', 'id')::regclass)::int as id
      from unnest(${arrayParam(pushes.map((p) => p.villageCode), 'text')}, ${arrayParam(pushes.map((p) => p.apiKeyId), 'int')},
        ${arrayParam(pushes.map((p) => p.idempotencyKey), 'text')}, ${arrayParam(pushes.map((p) => p.requestHash), 'text')},
        ${arrayParam(pushes.map((p) => storableJson(p.payload)), 'text')}) with ordinality as u(village, key, idem, hash, payload, n)
    ), ins as (
      insert into inbox (id, channel, kind, village_code, api_key_id, idempotency_key, request_hash, record_count, payload)
      overriding system value
      select u.id, 'push', 'registration', u.village, u.key, u.idem, u.hash, 1, u.payload::jsonb from u order by u.n
      on conflict (api_key_id, idempotency_key) where idempotency_key is not null do nothing
      returning id
    )
    select u.n::int as n, u.id, ins.id is not null as inserted from u left join ins on ins.id = u.id`);
  const inboxOf: (number | null)[] = pushes.map(() => null);
  for (const r of inbox) if (r.inserted) inboxOf[r.n - 1] = r.id;
  const stored = pushes.map((p, i) => ({ p, inboxId: inboxOf[i]! })).filter((s) => s.inboxId !== null);
  if (stored.length === 0) return pushes.map(() => null);

  const fresh = new Map<number, number>();
  for (const r of await rows<{ id: number; inbox_id: number }>(tx, sql`
    insert into registrations (inbox_id, village_code, external_id, service_code, submitted_at, applicant, details, status, warnings)
    select u.inbox, u.village, u.ext, u.svc, u.sub, u.app::jsonb, u.det::jsonb, 'validated', u.warn::jsonb
    from unnest(${arrayParam(stored.map((s) => s.inboxId), 'int')}, ${arrayParam(stored.map((s) => s.p.villageCode), 'text')},
      ${arrayParam(stored.map((s) => s.p.value.externalId), 'text')}, ${arrayParam(stored.map((s) => s.p.value.service.code), 'text')},
      ${arrayParam(stored.map((s) => s.p.value.submittedAt), 'timestamptz')}, ${arrayParam(jsonTexts(stored.map((s) => s.p.value.applicant)), 'text')},
      ${arrayParam(jsonTexts(stored.map((s) => s.p.value.details)), 'text')},
      ${arrayParam(jsonTexts(stored.map((s) => (s.p.warnings.length ? s.p.warnings : null))), 'text')})
      with ordinality as u(inbox, village, ext, svc, sub, app, det, warn, n)
    order by u.n
    on conflict (village_code, external_id) do nothing
    returning id, inbox_id`)) fresh.set(r.inbox_id, r.id);

  const existing = new Map<string, number>();
  const dup = stored.filter((s) => !fresh.has(s.inboxId));
  if (dup.length) {
    for (const r of await rows<{ id: number; village_code: string; external_id: string }>(tx, sql`
      select r.id, r.village_code, r.external_id from registrations r
      join unnest(${arrayParam(dup.map((s) => s.p.villageCode), 'text')}, ${arrayParam(dup.map((s) => s.p.value.externalId), 'text')}) as u(village, ext)
        on r.village_code = u.village::char(10) and r.external_id = u.ext`)) {
      existing.set(`${r.village_code}\n${r.external_id}`, r.id);
    }
  }

  const results = new Map<number, StoredRegistrations>();
  for (const s of stored) {
    const id = fresh.get(s.inboxId) ?? existing.get(`${s.p.villageCode}\n${s.p.value.externalId}`)!;
    const response = {
      submissionId: s.inboxId,
      records: [acceptedAnswer(s.p.value.externalId, id, fresh.has(s.inboxId), s.p.warnings)],
    };
    results.set(s.inboxId, { response, newIds: fresh.has(s.inboxId) ? [id] : [] });
  }
  await tx.execute(sql`
    update inbox set response = u.response::jsonb
    from unnest(${arrayParam([...results.keys()], 'int')}, ${arrayParam([...results.values()].map((r) => storableJson(r.response)), 'text')}) as u(id, response)
    where inbox.id = u.id`);
  return inboxOf.map((id) => (id === null ? null : results.get(id)!));
}
