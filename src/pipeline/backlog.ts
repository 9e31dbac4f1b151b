import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';

export interface Backlog {
  /** Records accepted and not yet through the pipeline (waiting for identify or route). */
  records: number;
  /** Seconds since the oldest of them was accepted; 0 when none waits. */
  oldestSeconds: number;
  /** Records the recovery sweep sent back to their stage at least `cap` times: a stage keeps failing on them. */
  failing: number;
}

/** Rounds after which a record that keeps failing is re-driven only hourly, and shown as failing. */
export const REDRIVE_CAP = 10;

/**
 * One pass over each table's records in flight (the partial in-flight indexes) counts them, finds the
 * lowest id (the oldest) and counts the failing ones. Not `min(id)` alone: Postgres answers that by
 * walking the primary key from the lowest id until a row in flight, and those are the newest, so it
 * read every registration already routed (17 ms at 48,000 during a bulk load, once a second; at a
 * year of a kabupaten's registrations it would be the whole table).
 */
export async function readBacklog(db: Db): Promise<Backlog> {
  const [r] = await rows<{ regs: number; res: number; oldest: number | null; failing: number }>(db, sql`
    with regs as (
      select count(*)::int as n, min(id) as first, (count(*) filter (where redrives >= ${REDRIVE_CAP}))::int as failing
      from registrations where status in ('validated', 'identified')
    ), res as (
      select count(*)::int as n, min(id) as first, (count(*) filter (where redrives >= ${REDRIVE_CAP}))::int as failing
      from resident_records where status = 'accepted'
    )
    select regs.n as regs, res.n as res,
           extract(epoch from now() - least(
             (select created_at from registrations where id = regs.first),
             (select created_at from resident_records where id = res.first)))::float8 as oldest,
           regs.failing + res.failing as failing
    from regs, res`);
  return { records: r!.regs + r!.res, oldestSeconds: Math.max(0, Math.round(r!.oldest ?? 0)), failing: r!.failing };
}

/**
 * The backlog as intake checks it on every request: read at most once a second per process, and
 * one read at a time (a burst of requests shares it).
 */
export class BacklogGauge {
  private last: { at: number; value: Backlog } | null = null;
  private reading: Promise<Backlog> | null = null;
  constructor(private readonly db: Db, private readonly maxAgeMs = 1000) {}

  async current(): Promise<Backlog> {
    if (this.last && Date.now() - this.last.at < this.maxAgeMs) return this.last.value;
    this.reading ??= readBacklog(this.db)
      .then((value) => { this.last = { at: Date.now(), value }; return value; })
      .finally(() => { this.reading = null; });
    return this.reading;
  }
}
