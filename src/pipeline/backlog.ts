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

/** Read from the in-flight partial indexes; the oldest record is the lowest id still in flight. */
export async function readBacklog(db: Db): Promise<Backlog> {
  const [r] = await rows<{ regs: number; res: number; oldest: number | null; failing: number }>(db, sql`
    select (select count(*)::int from registrations where status in ('validated', 'identified')) as regs,
           (select count(*)::int from resident_records where status = 'accepted') as res,
           extract(epoch from now() - least(
             (select created_at from registrations where id = (select min(id) from registrations where status in ('validated', 'identified'))),
             (select created_at from resident_records where id = (select min(id) from resident_records where status = 'accepted'))))::float8 as oldest,
           (select count(*)::int from registrations where status in ('validated', 'identified') and redrives >= ${REDRIVE_CAP})
             + (select count(*)::int from resident_records where status = 'accepted' and redrives >= ${REDRIVE_CAP}) as failing`);
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
