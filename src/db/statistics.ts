import { sql } from 'drizzle-orm';
import { rows, type Db } from './client.js';
import type { Logger } from '../runtime/logger.js';

/**
 * Planner statistics kept fresh by the hub itself. Autovacuum may be off or late (it is on the
 * machines this was measured on), and a table bulk-loaded since its last ANALYZE (or never analyzed)
 * turns 3 ms key lookups into scans of the whole table. So whoever writes rows in bulk reports them
 * here, and a table written ANALYZE_AFTER rows, or its size, whichever is more, since its last
 * ANALYZE in this process is analyzed in the background. The size is the table's own row count as the
 * last ANALYZE found it (0 before the first): counted from this process's writes alone, it restarted at
 * 0 in every process and a 100k-row table was analyzed every 10k rows written, ≈30 ANALYZEs per 100k
 * records identified, 3.7 of 9.7 s of Postgres CPU (bench:sync --identify). Growth alone needs
 * few: the planner scales the analyzed row density by the table's current size in pages. So a table
 * is analyzed again when it may have doubled (at half its size, `npm run bench` ran 29 ANALYZEs per
 * 100,000 registrations, 8% of Postgres' CPU; at its size, 22).
 *
 * The first comes early because plans are cached: postgres.js prepares every statement, Postgres keeps
 * a generic plan after five runs, and only an ANALYZE (or DDL) makes it plan again. A plan made while a
 * table was nearly empty scans it whole on every run until then: with the first ANALYZE at 10,000
 * rows, the group commit's lookup of known externalIds read every registration for each single push
 * of a new hub's first 10,000 (`bench:push --rate 1000 --seconds 20`: 12.9 million registration rows
 * read by sequential scans, and 2.1 million of citizen_records; at 500, 0.43 million and 656). The
 * ANALYZEs this adds are of tables below 10,000 rows: milliseconds each.
 */
export const ANALYZE_AFTER = 500;

/** Tables the pipeline writes in bulk and reads by key; analyzed when a process starts and they never were. */
export const HOT_TABLES = ['inbox', 'registrations', 'resident_records', 'citizens', 'citizen_records', 'deliveries', 'quarantine', 'review_cases'] as const;
type Table = (typeof HOT_TABLES)[number];

interface TableState { written: number; size: number; running: Promise<void> | null }

const trackers = new WeakMap<object, Map<Table, TableState>>();

/** Whether `written` rows since the last ANALYZE of a table of `size` rows (as it counted them) call for another. */
export function analyzeDue(written: number, size: number): boolean {
  return written >= Math.max(ANALYZE_AFTER, size);
}

/**
 * The statistics target of the hub's own ANALYZEs (Postgres' default is 100): a sample of 300 × 30 =
 * 9,000 rows instead of 30,000. What these refreshes are for (row counts, the in-flight share of a
 * status, key columns' distinct counts) needs no more, and the sample is most of the cost: ANALYZE of
 * 100,000 registrations took 145-170 ms at 100 and 25-40 ms at 30, and the hub's ANALYZEs were 13% of
 * Postgres' time in `npm run bench`. Only the session's default changes: a DBA's or autovacuum's
 * ANALYZE, and columns with a target of their own, keep theirs.
 */
export const ANALYZE_STATISTICS_TARGET = 30;

/** Analyzes a table; its row count as ANALYZE estimated it. */
async function analyze(db: Db, table: Table, log?: Logger): Promise<number> {
  const started = Date.now();
  await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local default_statistics_target = ${ANALYZE_STATISTICS_TARGET}`));
    await tx.execute(sql`analyze ${sql.raw(table)}`);
  });
  const [r] = await rows<{ n: number }>(db, sql`select greatest(reltuples, 0)::float8 as n from pg_class where oid = ${table}::regclass`);
  log?.debug({ table, ms: Date.now() - started }, 'table analyzed');
  return r?.n ?? 0;
}

/** Reports rows written to a table; may start an ANALYZE in the background (never in the caller's transaction). */
export function noteBulkWrite(db: Db, table: Table, count: number, log?: Logger): void {
  if (count <= 0) return;
  let tables = trackers.get(db);
  if (!tables) trackers.set(db, tables = new Map());
  let state = tables.get(table);
  if (!state) tables.set(table, state = { written: 0, size: 0, running: null });
  state.written += count;
  if (state.running || !analyzeDue(state.written, state.size)) return;
  const s = state;
  s.size += s.written;
  s.written = 0;
  s.running = analyze(db, table, log)
    .then((n) => { s.size = n; })
    .catch((err: unknown) => log?.warn({ err, table }, 'analyze failed; statistics stay as they were'))
    .finally(() => { s.running = null; });
}

/** Waits for ANALYZEs started by noteBulkWrite (tests, and a clean shutdown). */
export async function statisticsSettled(db: Db): Promise<void> {
  const tables = trackers.get(db);
  if (tables) await Promise.all([...tables.values()].map((s) => s.running));
}

/** Tables that were never analyzed (reltuples -1 since Postgres 14) are analyzed now. */
export async function analyzeNeverAnalyzed(db: Db, log?: Logger): Promise<string[]> {
  const never = await rows<{ relname: Table }>(db, sql`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r' and c.reltuples < 0
      and c.relname = any(${sql.param([...HOT_TABLES])}::text[])`);
  for (const t of never) await analyze(db, t.relname, log);
  return never.map((t) => t.relname);
}
