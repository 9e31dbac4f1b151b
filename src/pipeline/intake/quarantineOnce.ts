import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { allocateIds, arrayParam, jsonTexts } from '../../db/sqlArrays.js';
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
  const villages = list.map((r) => r.villageCode);
  const exts = list.map((r) => (r.externalId == null ? null : r.externalId.slice(0, 64)));
  const payloads = jsonTexts(list.map((r) => r.payload));
  // Per record, a lookup by the payload's md5 (quarantine_open_payload_idx): a subquery per record keeps
  // that plan whatever the statistics say (a join was planned with the quarantine outside on a table
  // never analyzed, reading every open entry).
  const open = new Map((await rows<{ i: number; id: number | null }>(tx, sql`
    select u.i, (select min(q.id) from quarantine q
      where q.status = 'open' and q.kind = ${kind} and md5(q.payload::text) = md5(u.payload::jsonb::text)
        and q.village_code is not distinct from u.village and q.external_id is not distinct from u.ext and q.payload = u.payload::jsonb)::int as id
    from unnest(${arrayParam(list.map((_, i) => i), 'int')}, ${arrayParam(villages, 'text')}, ${arrayParam(exts, 'text')},
      ${arrayParam(payloads, 'text')}) as u(i, village, ext, payload)`)).flatMap((r) => (r.id === null ? [] : [[r.i, r.id] as const])));
  const fresh = list.map((_, i) => i).filter((i) => !open.has(i));
  const ids = await allocateIds(tx, 'quarantine', fresh.length);
  if (fresh.length) {
    await tx.execute(sql`
      insert into quarantine (id, inbox_id, kind, village_code, external_id, payload, errors)
      overriding system value
      select u.id, ${inboxId}, ${kind}, u.village, u.ext, u.payload::jsonb, u.errors::jsonb
      from unnest(${arrayParam(ids, 'int')}, ${arrayParam(fresh.map((i) => villages[i]), 'text')}, ${arrayParam(fresh.map((i) => exts[i]), 'text')},
        ${arrayParam(fresh.map((i) => payloads[i]), 'text')}, ${arrayParam(jsonTexts(fresh.map((i) => list[i]!.errors)), 'text')}) as u(id, village, ext, payload, errors)`);
  }
  const out = list.map((_, i) => open.get(i) ?? 0);
  fresh.forEach((i, k) => { out[i] = ids[k]!; });
  return out;
}
