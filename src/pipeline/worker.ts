import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PipelineContext } from './context.js';
import { queueName, STAGES, type Stage, type StageJob } from './queues.js';
import { identifyStage, type Resolver } from './stages/identify.js';
import { EngineResolver } from './stages/engineResolver.js';
import { routeStage } from './stages/route.js';
import { recoverySweep } from './recovery.js';

export interface PipelineWorkers {
  close(): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  resolver?: Resolver;
  /** Seconds between recovery sweeps; 0 turns the periodic sweep off (the one at start still runs). */
  sweepEverySeconds?: number;
}

/** Starts one BullMQ worker per stage and the recovery sweep. */
export async function startWorkers(ctx: PipelineContext, connection: () => Redis, opts: WorkerOptions): Promise<PipelineWorkers> {
  // One resolver per process: it holds the in-memory identity index.
  const resolver = opts.resolver ?? new EngineResolver();
  // The index is built while the workers start, not in the first batch.
  const preparing = resolver.prepare?.(ctx.db).catch((err: unknown) => ctx.log.warn({ err: (err as Error).message }, 'identity index not prepared at start'));
  const run: Record<Stage, (job: StageJob) => Promise<unknown>> = {
    // Identify serializes on a Postgres advisory lock; more concurrency would only wait on it.
    identify: (job) => identifyStage(ctx, job.ids, job.kind, resolver),
    route: (job) => routeStage(ctx, job.ids),
  };
  const connections: Redis[] = [];
  const workers = STAGES.map((stage) => {
    const conn = connection();
    connections.push(conn);
    const w = new Worker<StageJob>(queueName(stage), async (job) => {
      await run[stage](job.data);
    }, {
      connection: conn,
      prefix: ctx.queues.prefix,
      concurrency: stage === 'identify' ? 1 : opts.concurrency,
    });
    w.on('failed', (job, err) => ctx.log.warn({ stage, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'stage job failed'));
    w.on('error', (err) => ctx.log.error({ stage, err: err.message }, 'worker error'));
    return w;
  });

  const sweep = async (age: number) => {
    try { await recoverySweep(ctx, age); } catch (err) { ctx.log.warn({ err: (err as Error).message }, 'recovery sweep failed'); }
  };
  await sweep(0);
  const every = opts.sweepEverySeconds ?? 30;
  const timer = every > 0 ? setInterval(() => void sweep(every * 2), every * 1000) : null;
  timer?.unref();

  return {
    async close() {
      if (timer) clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      await preparing;
      // BullMQ leaves connections it was handed open.
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
