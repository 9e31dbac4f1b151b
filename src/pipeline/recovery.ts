import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { PipelineContext } from './context.js';
import { LIVE_STATES, STAGE_INPUT_STATUS, type RecordKind, type Stage } from './queues.js';
import { REDRIVE_CAP } from './backlog.js';

/** Where records wait for a stage, and under which status. */
const WAITING: { stage: Stage; kind: RecordKind; table: 'registrations' | 'resident_records'; status: string }[] = [
  { stage: 'identify', kind: 'registration', table: 'registrations', status: STAGE_INPUT_STATUS.identify },
  { stage: 'route', kind: 'registration', table: 'registrations', status: STAGE_INPUT_STATUS.route },
  { stage: 'identify', kind: 'resident', table: 'resident_records', status: 'accepted' },
];

/**
 * Beyond this many records named by live jobs the pipeline is busy: the sweep waits for a quieter
 * moment rather than reading every job (its lost records are found then; nothing is lost meanwhile).
 */
export const BUSY_LIVE_RECORDS = 100_000;

export interface SweepResult {
  /** Records sent back to their stage under a new job. */
  redriven: number;
  /** Records that had not advanced but whose job is still waiting or running. */
  covered: number;
  /** True when the sweep skipped its round because the queues are busy. */
  backedOff: boolean;
}

/** The records each live job of a stage names, by kind. */
async function liveRecords(ctx: PipelineContext, stage: Stage): Promise<Map<RecordKind, Set<number>> | null> {
  const queue = ctx.queues.queues[stage];
  const counts = await queue.getJobCounts(...LIVE_STATES);
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  const live = new Map<RecordKind, Set<number>>([['registration', new Set()], ['resident', new Set()]]);
  if (jobs === 0) return live;
  // A job names at most MAX_BATCH records; a very long queue is a busy pipeline, not a lost one.
  if (jobs * 50 > BUSY_LIVE_RECORDS) return null;
  let n = 0;
  for (const job of await queue.getJobs([...LIVE_STATES], 0, -1)) {
    if (!job?.data) continue;
    const set = live.get(job.data.kind ?? 'registration')!;
    for (const id of job.data.ids) set.add(id);
    n += job.data.ids.length;
    if (n > BUSY_LIVE_RECORDS) return null;
  }
  return live;
}

/**
 * Postgres is the truth: a record that has not advanced for `olderThanSeconds` and that no live job
 * names is sent back to its stage, whatever happened to its job (Redis flushed, the job failed all its
 * attempts, a stage skipped a row another transaction held). So work cannot stay stuck, and records
 * still queued are never added twice. Each round is a new job id (the failed job's id would make the
 * re-add a no-op) and counts on the record; past REDRIVE_CAP rounds a record is re-driven hourly and
 * shown as failing in /metrics. Records are claimed with SKIP LOCKED and their updated_at moves, so
 * several worker processes sweeping at once never send one record twice.
 */
export async function recoverySweep(
  ctx: PipelineContext, olderThanSeconds = 60, limit = 20_000,
  /** Records this process's identify batcher holds without a job (localIdentify): covered as a live job's. */
  heldLocally?: (kind: RecordKind) => number[],
): Promise<SweepResult> {
  const result: SweepResult = { redriven: 0, covered: 0, backedOff: false };
  const live = new Map<Stage, Map<RecordKind, Set<number>> | null>();
  for (const w of WAITING) {
    if (!live.has(w.stage)) live.set(w.stage, await liveRecords(ctx, w.stage));
    const covered = live.get(w.stage);
    if (!covered) { result.backedOff = true; continue; }
    const skip = [...covered.get(w.kind)!, ...(w.stage === 'identify' ? heldLocally?.(w.kind) ?? [] : [])];
    const table = sql.raw(w.table);
    const claimed = await rows<{ id: number }>(ctx.db, sql`
      update ${table} t set redrives = least(t.redrives + 1, 32000), updated_at = now()
      where t.id in (
        select id from ${table}
        where status = ${w.status} and updated_at < now() - make_interval(secs => ${olderThanSeconds})
          and (redrives < ${REDRIVE_CAP} or updated_at < now() - interval '1 hour')
          and not (id = any(${arrayParam(skip, 'int')}))
        order by id limit ${limit}
        for update skip locked)
      returning t.id`);
    if (claimed.length === 0) continue;
    const ids = claimed.map((r) => r.id).sort((a, b) => a - b);
    try {
      await ctx.queues.enqueue(w.stage, ids, `sweep${Date.now().toString(36)}`, w.kind);
    } catch (err) {
      // Redis away: the records are older than the age again at the next round and are claimed then.
      ctx.log.warn({ err, stage: w.stage, kind: w.kind, records: ids.length }, 'recovery sweep could not enqueue; next round');
      continue;
    }
    result.redriven += ids.length;
    ctx.log.info({ stage: w.stage, kind: w.kind, records: ids.length, firstId: ids[0], lastId: ids[ids.length - 1] },
      'recovery sweep re-drove records whose job was lost or failed');
  }
  for (const c of live.values()) if (c) result.covered += [...c.values()].reduce((a, s) => a + s.size, 0);
  return result;
}
