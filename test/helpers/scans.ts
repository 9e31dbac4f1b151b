import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../src/db/client.js';

// Postgres counts a backend's scans in memory and flushes them at most once a second: a test reads them
// on the one connection (max: 1) that ran the statements, after forcing that connection's flush.

/** Sequential scans of each table so far. */
export async function seqScans(db: Db, tables: readonly string[]): Promise<Record<string, number>> {
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const found = await rows<{ relname: string; seq_scan: number }>(db, sql`
    select relname, seq_scan::int from pg_stat_user_tables where relname in ${tables}`);
  return Object.fromEntries(found.map((r) => [r.relname, r.seq_scan]));
}

/** Index entries an index has given so far. */
export async function indexReads(db: Db, index: string): Promise<number> {
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const [r] = await rows<{ n: number }>(db, sql`select idx_tup_read::int as n from pg_stat_user_indexes where indexrelname = ${index}`);
  return r!.n;
}
