import { sql } from 'drizzle-orm';
import { rows, type Db, type Queryable } from '../../db/client.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import { isUniqueViolation } from '../../db/errors.js';
import { bodyJson } from './storable.js';
import { acceptedAnswer, storeRegistrations, type StoredRegistrations } from './registrations.js';
import type { ValidRegistration } from '../validate/registration.js';
import type { RecordError } from '../validate/recordError.js';
import { handedRegistration, type Handed } from '../handoff.js';
import { noteBulkWrite } from '../../db/statistics.js';

/** One registration pushed alone (`POST /v1/registrations` with one object), already validated. */
export interface SinglePush {
  villageCode: string;
  apiKeyId: number;
  idempotencyKey: string | null;
  /** Null without an Idempotency-Key: nothing compares it then. */
  requestHash: string | null;
  /** The body as received, stored as the inbox payload. */
  payload: unknown;
  value: ValidRegistration;
  warnings: RecordError[];
}

/** What the group's commit gives one push; `null` as storeRegistrations: its Idempotency-Key was committed by another request. */
export type SinglePushResult = StoredRegistrations | null;

interface Waiting { push: SinglePush; resolve: (r: SinglePushResult) => void; reject: (e: unknown) => void }

/**
 * Groups committing at once. One: the pushes that arrive during a commit make the next group, so
 * groups are bigger and each push's share of a statement, a commit and an identify job smaller. At
 * 1,000 pushes/s for 60 s (`npm run bench:push -- --rate 1000 --seconds 60`), against two: accept p99
 * 41 against 57 ms, accept → routed p99 69 against 132 ms, Postgres 33.6 against 36.4 CPU seconds.
 */
export const GROUPS_AT_ONCE = 1;

/**
 * Stores single pushes of several requests in one transaction (group commit). Villages send their
 * registrations one by one; each in its own transaction cost ≈5 statements and a stage job per record,
 * and intake held a few hundred a second. Here a push joins the next group: while `concurrency`
 * groups are committing, the pushes that arrive wait and then commit together (no timer, so a push
 * alone goes at once), with one statement per step for the whole group and one hand-over to
 * identify for its records. Every push is answered only after its group committed: a 2xx still means "in Postgres"
 * (identify gets them after the answers: the accept latency does not wait on Redis).
 * A group that fails is retried push by push, each in its own transaction, so one push cannot fail
 * the others.
 */
export class SinglePushCommitter {
  private waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly db: Db,
    /**
     * Called once per committed group with its new registration ids, first inbox id and the new
     * registrations for handOff; errors are the caller's to log.
     */
    private readonly committed: (newIds: number[], firstInboxId: number, handed: [number, Handed][]) => Promise<void>,
    /** `groupDb`: where a group's statement runs (Database.reusingPlans: its plan is made once, not per group); `db` when absent. */
    private readonly opts: { concurrency?: number; maxGroup?: number; groupDb?: Db } = {},
  ) {}

  submit(push: SinglePush): Promise<SinglePushResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ push, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running >= (this.opts.concurrency ?? GROUPS_AT_ONCE) || this.waiting.length === 0) return;
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
      results = await storeSinglePushes(this.opts.groupDb ?? this.db, group.map((w) => w.push));
    } catch {
      // One push's failure must not fail the group's others: each alone, as a request of its own.
      await Promise.all(group.map(async (w) => {
        try {
          const r = await this.alone(w.push);
          w.resolve(r);
          if (r) await this.committed(r.newIds, r.response.submissionId, r.handed).catch(() => undefined);
        } catch (err) {
          w.reject(err);
        }
      }));
      return;
    }
    // Answered once committed; then `committed` hands the records to identify (a job, or this process's
    // batcher), its slot still held, so enqueues cannot pile up. A failed enqueue is the recovery
    // sweep's, as in the route: the records are in Postgres.
    group.forEach((w, i) => w.resolve(results[i]!));
    // An inbox row per push: its Idempotency-Key lookup is planned from the table's statistics.
    noteBulkWrite(this.db, 'inbox', group.length);
    const newIds = results.flatMap((r) => r?.newIds ?? []);
    const first = results.find((r) => r !== null)?.response.submissionId ?? 0;
    await this.committed(newIds, first, results.flatMap((r) => r?.handed ?? [])).catch(() => undefined);
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
 * storeRegistrations for many single pushes at once, in ONE statement (atomic on its own: no BEGIN and
 * COMMIT round trips; each round trip was milliseconds of every push's wait on a busy box): the inbox
 * rows with their answers, and the registrations. Answers in the order of `pushes`; null for a push
 * whose Idempotency-Key is already committed or was sent earlier in the group (the route answers it).
 * What each push is, is decided in the statement from what it sees: a known externalId of the village
 * (or one sent earlier in the group) is answered as a duplicate naming that registration. What it
 * cannot see, another group committing the same Idempotency-Key or externalId meanwhile, makes a plain
 * insert fail on the unique index, so the statement fails whole and the caller stores each push alone.
 */
export async function storeSinglePushes(db: Queryable, pushes: readonly SinglePush[]): Promise<SinglePushResult[]> {
  // Ids are drawn in the statement, one inbox and one registration id per push (RETURNING has no
  // order); the sequences are looked up once (InitPlans), not per row.
  const out = await rows<{ n: number; stored: boolean; id: number; rid: number | null; fresh: boolean; version: string | null }>(db, sql`
    with u as materialized (
      select u.*, nextval((select pg_get_serial_sequence('inbox', 'id'))::regclass)::int as id,
        nextval((select pg_get_serial_sequence('registrations', 'id'))::regclass)::int as new_rid
      from unnest(${arrayParam(pushes.map((p) => p.villageCode), 'text')}, ${arrayParam(pushes.map((p) => p.apiKeyId), 'int')},
        ${arrayParam(pushes.map((p) => p.idempotencyKey), 'text')}, ${arrayParam(pushes.map((p) => p.requestHash), 'text')},
        ${arrayParam(pushes.map((p) => bodyJson(p.payload)), 'text')},
        ${arrayParam(pushes.map((p) => p.value.externalId), 'text')}, ${arrayParam(pushes.map((p) => p.value.service.code), 'text')},
        ${arrayParam(pushes.map((p) => p.value.submittedAt), 'timestamptz')}, ${arrayParam(jsonTexts(pushes.map((p) => p.value.applicant)), 'text')},
        ${arrayParam(jsonTexts(pushes.map((p) => p.value.details)), 'text')},
        ${arrayParam(jsonTexts(pushes.map((p) => (p.warnings.length ? p.warnings : null))), 'text')})
        with ordinality as u(village, key, idem, hash, payload, ext, svc, sub, app, det, warn, n)
    ), k as materialized (
      select u.*,
        (u.idem is not null and (exists (select 1 from inbox i where i.api_key_id = u.key and i.idempotency_key = u.idem)
          or row_number() over (partition by u.key, u.idem order by u.n) > 1)) as skip,
        (select r.id from registrations r where r.village_code = u.village::char(10) and r.external_id = u.ext) as known_rid
      from u
    ), t as materialized (
      select k.*, row_number() over w = 1 and k.known_rid is null as fresh,
        coalesce(k.known_rid, first_value(k.new_rid) over w) as rid
      from k where not k.skip
      window w as (partition by k.village, k.ext order by k.n)
    ), ins as (
      insert into inbox (id, channel, kind, village_code, api_key_id, idempotency_key, request_hash, record_count, payload, response)
      overriding system value
      select t.id, 'push', 'registration', t.village, t.key, t.idem, t.hash, 1, t.payload::json,
        jsonb_build_object('submissionId', t.id, 'records', jsonb_build_array(
          jsonb_build_object('externalId', t.ext, 'id', t.rid, 'status', 'accepted')
          || case when t.fresh then '{}'::jsonb else '{"duplicate": true}'::jsonb end
          || case when t.warn is null then '{}'::jsonb else jsonb_build_object('warnings', t.warn::jsonb) end))
      from t order by t.n
    ), reg as (
      insert into registrations (id, inbox_id, village_code, external_id, service_code, submitted_at, applicant, details, status, warnings)
      overriding system value
      select t.rid, t.id, t.village, t.ext, t.svc, t.sub, t.app::jsonb, t.det::jsonb, 'validated', t.warn::jsonb
      from t where t.fresh order by t.n
      returning id, xmin::text as version
    )
    select u.n::int as n, t.n is not null as stored, u.id, t.rid, coalesce(t.fresh, false) as fresh, reg.version
    from u left join t on t.n = u.n left join reg on t.fresh and reg.id = t.rid`);
  const byN = new Map(out.map((r) => [r.n, r]));
  return pushes.map((p, i) => {
    const r = byN.get(i + 1)!;
    if (!r.stored) return null;
    return {
      response: { submissionId: r.id, records: [acceptedAnswer(p.value.externalId, r.rid!, r.fresh, p.warnings)] },
      newIds: r.fresh ? [r.rid!] : [],
      handed: r.fresh ? [[r.rid!, handedRegistration(r.version!, p.villageCode, p.value)]] : [],
    };
  });
}
