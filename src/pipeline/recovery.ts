import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import type { PipelineContext } from './context.js';
import { STAGES, STAGE_INPUT_STATUS } from './queues.js';

/**
 * Redis may lose every job (this machine's Redis keeps nothing on disk). Postgres knows which records
 * have not advanced; this re-enqueues them. Job ids derive from the records, so a sweep that finds a
 * batch still waiting adds nothing, and the stages' state checks make a duplicate run harmless.
 */
export async function recoverySweep(ctx: PipelineContext, olderThanSeconds = 60, limit = 200_000): Promise<number> {
  let total = 0;
  for (const stage of STAGES) {
    const stale = await rows<{ id: number }>(ctx.db, sql`
      select id from registrations
      where status = ${STAGE_INPUT_STATUS[stage]} and updated_at < now() - make_interval(secs => ${olderThanSeconds})
      order by id limit ${limit}`);
    if (stale.length === 0) continue;
    await ctx.queues.enqueue(stage, stale.map((r) => r.id), 'sweep');
    total += stale.length;
  }
  const residents = await rows<{ id: number }>(ctx.db, sql`
    select id from resident_records
    where status = 'accepted' and updated_at < now() - make_interval(secs => ${olderThanSeconds})
    order by id limit ${limit}`);
  if (residents.length) {
    await ctx.queues.enqueue('identify', residents.map((r) => r.id), 'sweep', 'resident');
    total += residents.length;
  }
  if (total) ctx.log.info({ records: total }, 'recovery sweep re-enqueued records that had not advanced');
  return total;
}
