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
 * records. Every push is answered only after its group committed: a 2xx still means "in Postgres"
 * (the identify job is enqueued after the answers: the accept latency does not wait on Redis).
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
          w.resolve(r);
          if (r) await this.committed(r.newIds, r.response.submissionId).catch(() => undefined);
        } catch (err) {
          w.reject(err);
        }
      }));
      return;
    }
    // Answered once committed; the identify job is enqueued after (its slot still held, so enqueues
    // cannot pile up). A failed enqueue is the recovery sweep's, as in the route: the records are in Postgres.
    group.forEach((w, i) => w.resolve(results[i]!));
    const newIds = results.flatMap((r) => r?.newIds ?? []);
    const first = results.find((r) => r !== null)?.response.submissionId ?? 0;
    await this.committed(newIds, first).catch(() => undefined);
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
 * One statement does it all when no push repeats a known externalId: the inbox row, its registration
 * and its answer (built in SQL from ids drawn in the statement, as storeRegistrations would answer a
 * fresh record); each round trip was a few milliseconds of every push's wait on a busy box. A push whose
 * registration turns out to be a duplicate gets its answer rewritten in the same transaction.
 */
export async function storeSinglePushes(tx: Tx, pushes: readonly SinglePush[]): Promise<SinglePushResult[]> {
  // Ids are drawn in the statement, one inbox and one registration id per push, so each push knows its
  // rows (RETURNING has no order); the sequences are looked up once (InitPlans), not per row.
  const out = await rows<{ n: number; id: number; rid: number; inserted: boolean; fresh: boolean }>(tx, sql`
    with u as materialized (
      select u.*, nextval((select pg_get_serial_sequence('inbox', 'id'))::regclass)::int as id,
        nextval((select pg_get_serial_sequence('registrations', 'id'))::regclass)::int as rid
      from unnest(${arrayParam(pushes.map((p) => p.villageCode), 'text')}, ${arrayParam(pushes.map((p) => p.apiKeyId), 'int')},
        ${arrayParam(pushes.map((p) => p.idempotencyKey), 'text')}, ${arrayParam(pushes.map((p) => p.requestHash), 'text')},
        ${arrayParam(pushes.map((p) => storableJson(p.payload)), 'text')},
        ${arrayParam(pushes.map((p) => p.value.externalId), 'text')}, ${arrayParam(pushes.map((p) => p.value.service.code), 'text')},
        ${arrayParam(pushes.map((p) => p.value.submittedAt), 'timestamptz')}, ${arrayParam(jsonTexts(pushes.map((p) => p.value.applicant)), 'text')},
        ${arrayParam(jsonTexts(pushes.map((p) => p.value.details)), 'text')},
        ${arrayParam(jsonTexts(pushes.map((p) => (p.warnings.length ? p.warnings : null))), 'text')})
        with ordinality as u(village, key, idem, hash, payload, ext, svc, sub, app, det, warn, n)
    ), ins as (
      insert into inbox (id, channel, kind, village_code, api_key_id, idempotency_key, request_hash, record_count, payload, response)
      overriding system value
      select u.id, 'push', 'registration', u.village, u.key, u.idem, u.hash, 1, u.payload::jsonb,
        jsonb_build_object('submissionId', u.id, 'records', jsonb_build_array(
          jsonb_build_object('externalId', u.ext, 'id', u.rid, 'status', 'accepted')
          || case when u.warn is null then '{}'::jsonb else jsonb_build_object('warnings', u.warn::jsonb) end))
      from u order by u.n
      on conflict (api_key_id, idempotency_key) where idempotency_key is not null do nothing
      returning id
    ), reg as (
      insert into registrations (id, inbox_id, village_code, external_id, service_code, submitted_at, applicant, details, status, warnings)
      overriding system value
      select u.rid, u.id, u.village, u.ext, u.svc, u.sub, u.app::jsonb, u.det::jsonb, 'validated', u.warn::jsonb
      from u join ins on ins.id = u.id
      order by u.n
      on conflict (village_code, external_id) do nothing
      returning id
    )
    select u.n::int as n, u.id, u.rid, ins.id is not null as inserted, reg.id is not null as fresh
    from u left join ins on ins.id = u.id left join reg on reg.id = u.rid`);
  const byN = new Map(out.map((r) => [r.n, r]));
  const stored = pushes.map((p, i) => ({ p, r: byN.get(i + 1)! })).filter((s) => s.r.inserted);

  // A known externalId (sent before, or twice in this group): its answer names the stored registration.
  const dup = stored.filter((s) => !s.r.fresh);
  const existing = new Map<string, number>();
  if (dup.length) {
    for (const r of await rows<{ id: number; village_code: string; external_id: string }>(tx, sql`
      select r.id, r.village_code, r.external_id from registrations r
      join unnest(${arrayParam(dup.map((s) => s.p.villageCode), 'text')}, ${arrayParam(dup.map((s) => s.p.value.externalId), 'text')}) as u(village, ext)
        on r.village_code = u.village::char(10) and r.external_id = u.ext`)) {
      existing.set(`${r.village_code}\n${r.external_id}`, r.id);
    }
  }
  const results = new Map<number, StoredRegistrations>();
  for (const { p, r } of stored) {
    const id = r.fresh ? r.rid : existing.get(`${p.villageCode}\n${p.value.externalId}`)!;
    results.set(r.n, {
      response: { submissionId: r.id, records: [acceptedAnswer(p.value.externalId, id, r.fresh, p.warnings)] },
      newIds: r.fresh ? [id] : [],
    });
  }
  if (dup.length) {
    await tx.execute(sql`
      update inbox set response = u.response::jsonb
      from unnest(${arrayParam(dup.map((s) => s.r.id), 'int')}, ${arrayParam(dup.map((s) => storableJson(results.get(s.r.n)!.response)), 'text')}) as u(id, response)
      where inbox.id = u.id`);
  }
  return pushes.map((_, i) => results.get(i + 1) ?? null);
}
