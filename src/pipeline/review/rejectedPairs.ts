import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { RecordKind } from '../queues.js';
import { citizenRoots, MAX_MERGE_DEPTH } from './citizenRoots.js';

/** Key of an unordered pair of citizens, as held in the set `rejectedPairs` answers. */
export const pairKey = (a: number, b: number): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** Surviving citizen of every citizen named by a 'different' case (merges move a decision to the survivor). */
const DECIDED_DIFFERENT = sql`
  with recursive ends as (
    select citizen_id as id from review_cases where status = 'different'
    union select candidate_citizen_id from review_cases where status = 'different'
  ), chain(start, id, next, depth) as (
    select c.id, c.id, c.merged_into, 0 from citizens c join ends e on e.id = c.id
    union all
    select ch.start, c.id, c.merged_into, ch.depth + 1 from chain ch join citizens c on c.id = ch.next where ch.depth < ${MAX_MERGE_DEPTH}
  ), root as (select start, id as root from chain where next is null)`;

/**
 * Pairs of citizens that kecamatan staff decided are different people, for the identity resolver:
 * never propose (nor auto-match) a record's citizen with a candidate when
 * `rejected.has(pairKey(citizenOfRecord, candidate))`. Ids are resolved through merges, so a decision
 * still holds after either side was merged into another citizen; the pairs name surviving citizens
 * (merged_into is null), and only pairs touching the given ids are answered.
 */
export async function rejectedPairs(db: Queryable, citizenIds: readonly number[]): Promise<Set<string>> {
  const pairs = new Set<string>();
  const roots = [...new Set((await citizenRoots(db, citizenIds)).values())];
  if (roots.length === 0) return pairs;
  const wanted = arrayParam(roots, 'int');
  for (const r of await rows<{ a: number; b: number }>(db, sql`${DECIDED_DIFFERENT}
    select distinct ra.root as a, rb.root as b
    from review_cases rc join root ra on ra.start = rc.citizen_id join root rb on rb.start = rc.candidate_citizen_id
    where rc.status = 'different' and ra.root <> rb.root and (ra.root = any(${wanted}) or rb.root = any(${wanted}))`)) {
    pairs.add(pairKey(r.a, r.b));
  }
  return pairs;
}

/**
 * For records being identified again (a resident record re-sent with changes): the surviving citizens
 * staff already decided each record is not. recordId → candidate citizen ids. Walked from the batch's
 * own decided cases (the case index by record), not from every case ever decided: once per identify
 * batch, that walk grew with the decisions and its plan was 30 times its run (a recursive CTE over all
 * of them, planned for every batch: 0.26 ms of planning per single-push batch).
 */
export async function rejectedCandidates(db: Queryable, kind: RecordKind, recordIds: readonly number[]): Promise<Map<number, Set<number>>> {
  const out = new Map<number, Set<number>>();
  if (recordIds.length === 0) return out;
  for (const r of await rows<{ record_id: number; candidate: number }>(db, sql`
    with recursive chain(record_id, id, next, depth) as (
      select rc.record_id, c.id, c.merged_into, 0
      from review_cases rc join citizens c on c.id = rc.candidate_citizen_id
      where rc.status = 'different' and rc.record_kind = ${kind} and rc.record_id = any(${arrayParam(recordIds, 'int')})
      union all
      select ch.record_id, c.id, c.merged_into, ch.depth + 1 from chain ch join citizens c on c.id = ch.next where ch.depth < ${MAX_MERGE_DEPTH}
    )
    select record_id, id as candidate from chain where next is null`)) {
    const set = out.get(r.record_id);
    if (set) set.add(r.candidate);
    else out.set(r.record_id, new Set([r.candidate]));
  }
  return out;
}

/**
 * Pairs of citizens (among the given surviving ids) with an open case that staff split: a person
 * undid the merge and has not decided yet, so no automatic join may make it for them.
 */
export async function heldApartPairs(db: Queryable, citizenIds: readonly number[]): Promise<Set<string>> {
  const pairs = new Set<string>();
  if (citizenIds.length < 2) return pairs;
  const ids = arrayParam([...new Set(citizenIds)], 'int');
  for (const r of await rows<{ a: number; b: number }>(db, sql`
    select rc.citizen_id as a, rc.candidate_citizen_id as b from review_cases rc
    where rc.status = 'open' and rc.citizen_id = any(${ids}) and rc.candidate_citizen_id = any(${ids})
      and exists (select 1 from audit_log l where l.target_type = 'review_cases' and l.target_id = rc.id::text and l.action = 'review.split')`)) {
    pairs.add(pairKey(r.a, r.b));
  }
  return pairs;
}
