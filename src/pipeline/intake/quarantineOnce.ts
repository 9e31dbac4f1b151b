import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { jsonRecordset } from '../../db/sqlArrays.js';
import type { RecordError } from '../validate/recordError.js';

export interface Rejected {
  villageCode: string | null;
  /** The village's own id of the record (registration externalId, resident id), when it has one. */
  externalId: string | null;
  /** The record as it arrived. */
  payload: unknown;
  errors: RecordError[];
}

/**
 * Puts rejected records in quarantine, once per record: the same broken record sent or replayed again
 * (every sync resends it) finds its open entry instead of adding one per attempt. Answers the entry's id
 * for each record, in order. Every channel (registrations, residents, aid rows) quarantines through this.
 * The entry is found by the md5 of its payload (quarantine_open_payload_idx), not among all of the
 * village's open entries: that cost grew with the quarantine.
 */
export async function quarantineOnce(tx: Queryable, inboxId: number, kind: string, list: readonly Rejected[]): Promise<number[]> {
  if (list.length === 0) return [];
  // The records travel as one jsonb document (jsonRecordset): as a text array per column, postgres.js
  // escaped every payload's JSON again, 5% of the serving thread in an HTTP batch push.
  // One statement: each payload's text is parsed to jsonb once and serves the lookup and the insert, and
  // the new entries' ids are taken from the sequence in record order within it (ids known per record,
  // as RETURNING order is not guaranteed). It was three (lookup, ids, insert), parsing every payload
  // twice: 14.2 -> 11.6 and 15.7 -> 13.7 µs of Postgres CPU per record of a batch push, ≈65 -> 55 per
  // quarantined record (bench/intakeParts.ts, ~23% rejected).
  // Per record, a lookup by the payload's md5 (quarantine_open_payload_idx): a subquery per record keeps
  // that plan whatever the statistics say (a join was planned with the quarantine outside on a table
  // never analyzed, reading every open entry). The insert's rows are not seen by the same statement's
  // lookups, as when the lookup came first: two equal records of one submission get an entry each.
  return (await rows<{ id: number }>(tx, sql`
    with u as materialized (
      select u.i, u.village, u.ext, u.payload, u.errors
      from ${jsonRecordset(list.map((r, i) => ({
        i, village: r.villageCode, ext: r.externalId == null ? null : r.externalId.slice(0, 64), payload: r.payload, errors: r.errors,
      })), 'u(i int, village text, ext text, payload jsonb, errors jsonb)')}
    ), found as materialized (
      select u.i, (select min(q.id) from quarantine q
        where q.status = 'open' and q.kind = ${kind} and md5(q.payload::text) = md5(u.payload::text)
          and q.village_code is not distinct from u.village and q.external_id is not distinct from u.ext and q.payload = u.payload)::int as id
      from u
    ), fresh as materialized (
      select f.i, nextval('quarantine_id_seq'::regclass)::int as id
      from found f where f.id is null order by f.i
    ), stored as (
      insert into quarantine (id, inbox_id, kind, village_code, external_id, payload, errors)
      overriding system value
      select n.id, ${inboxId}, ${kind}, u.village, u.ext, u.payload, u.errors from fresh n join u on u.i = n.i
    )
    select coalesce(f.id, n.id) as id from found f left join fresh n on n.i = f.i order by f.i`)).map((r) => r.id);
}
