import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { PipelineContext } from '../../pipeline/context.js';
import { processPage } from './page.js';
import { failRun, requestSync } from './runs.js';
import { SYNC_QUEUE, syncQueueOf, type SyncJob } from './queue.js';
import { SyncError } from '../types.js';
import { storableError } from '../../runtime/safeError.js';

export interface SyncWorkerOptions {
  /** Sources pulled at the same time (each source still one page at a time). */
  concurrency?: number;
  /** How long a killed worker's page stays claimed before another worker takes it over. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface SyncWorkers { close(): Promise<void> }

/** Runs scheduled triggers and page jobs of the `sync` queue. */
export async function startSyncWorkers(ctx: PipelineContext, connection: () => Redis, opts: SyncWorkerOptions = {}): Promise<SyncWorkers> {
  const queue = syncQueueOf(ctx.queues);
  const conn = connection();
  const worker = new Worker<SyncJob>(SYNC_QUEUE, async (job) => {
    if (job.name === 'trigger') {
      const r = await requestSync(ctx, queue, job.data.sourceId, 'schedule');
      if (r.status === 'circuit-open') ctx.log.warn({ sourceId: job.data.sourceId, until: r.until }, 'scheduled sync skipped: circuit open');
      return r.status;
    }
    try {
      return await processPage(ctx, queue, job);
    } catch (err) {
      // BullMQ keeps the failure reason in Redis (and the queue board shows it): a database error from
      // the intake lists the batch's values, so only its PII-safe form goes there. A connector's own
      // SyncError says what the village server answered and carries no record.
      throw err instanceof SyncError ? err : storableError(err);
    }
  }, {
    connection: conn,
    prefix: ctx.queues.prefix,
    concurrency: opts.concurrency ?? 4,
    lockDuration: opts.lockDurationMs ?? 60_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    ctx.log.warn({ sourceId: job.data.sourceId, runId: job.data.runId, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'sync job failed');
    // A page that stalled too often (its worker died twice) ends the run; the cursor stays.
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(err.message);
    if (job.name === 'page' && job.data.runId && exhausted) {
      void failRun(ctx, job.data.runId, job.data.sourceId, `JOB_FAILED: ${err.message}`).catch(() => {});
    }
  });
  worker.on('error', (err) => ctx.log.error({ err: err.message }, 'sync worker error'));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await conn.quit().catch(() => conn.disconnect());
    },
  };
}

/** How many runs are in flight, for a clean shutdown report. */
export async function runningRuns(ctx: PipelineContext): Promise<number> {
  const res = (await ctx.db.execute(sql`select count(*)::int as n from sync_runs where status = 'running'`)) as unknown as { n: number }[];
  return res[0]?.n ?? 0;
}
