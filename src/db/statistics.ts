import { sql } from 'drizzle-orm';
import { rows, type Db } from './client.js';
import type { Logger } from '../runtime/logger.js';

/**
 * Planner statistics kept fresh by the hub itself. Autovacuum may be off or late (it is on the
 * machines this was measured on), and a table bulk-loaded since its last ANALYZE (or never analyzed)
 * turns 3 ms key lookups into scans of the whole table. So whoever writes rows in bulk reports them
 * here, and a table that grew by ANALYZE_AFTER rows (or half of itself, whichever is more) since
 * its last ANALYZE in this process is analyzed in the background. Half, not a tenth: a table filling
 * from empty was analyzed about twenty times on its way to 250,000 rows (a fifth of Postgres' time in
 * an HTTP batch push), and the planner scales the analyzed row counts by the table's current size.
 */
export const ANALYZE_AFTER = 10_000;

/** Whether `written` rows since the last ANALYZE (of `size` rows written before it, in this process) call for another. */
export function analyzeDue(written: number, size: number): boolean {
  return written >= Math.max(ANALYZE_AFTER, size / 2);
}

/** Tables the pipeline writes in bulk and reads by key; analyzed when a process starts and they never were. */
export const HOT_TABLES = ['inbox', 'registrations', 'resident_records', 'citizens', 'citizen_records', 'deliveries', 'quarantine', 'review_cases'] as const;
type Table = (typeof HOT_TABLES)[number];

interface TableState { written: number; size: number; running: Promise<void> | null }

const trackers = new WeakMap<object, Map<Table, TableState>>();

async function analyze(db: Db, table: Table, log?: Logger): Promise<void> {
  const started = Date.now();
  await db.execute(sql`analyze ${sql.raw(table)}`);
  log?.debug({ table, ms: Date.now() - started }, 'table analyzed');
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
