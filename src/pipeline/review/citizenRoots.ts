import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';

/** Merges may chain (A into B, later B into C); a chain this long means a cycle, not data. */
export const MAX_MERGE_DEPTH = 64;

/**
 * The surviving citizen of each id: itself when not merged, else the end of its `merged_into` chain.
 * Ids that do not exist are absent from the map.
 */
export async function citizenRoots(db: Queryable, citizenIds: readonly number[]): Promise<Map<number, number>> {
  const roots = new Map<number, number>();
  if (citizenIds.length === 0) return roots;
  for (const r of await rows<{ start: number; root: number }>(db, sql`
    with recursive chain(start, id, next, depth) as (
      select c.id, c.id, c.merged_into, 0 from citizens c where c.id = any(${arrayParam([...new Set(citizenIds)], 'int')})
      union all
      select ch.start, c.id, c.merged_into, ch.depth + 1 from chain ch join citizens c on c.id = ch.next
      where ch.depth < ${MAX_MERGE_DEPTH}
    )
    select start, id as root from chain where next is null`)) {
    roots.set(r.start, r.root);
  }
  return roots;
}
