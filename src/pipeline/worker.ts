import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PipelineContext } from './context.js';
import { queueName, STAGES, type Stage, type StageJob } from './queues.js';
import { identifyStage, readAhead, type ReadAhead, type Resolver } from './stages/identify.js';
import { EngineResolver } from './stages/engineResolver.js';
import { routeStage } from './stages/route.js';
import { IDENTIFY_BATCH_CAP, IDENTIFY_JOBS_AT_ONCE, IdentifyBatcher } from './stages/identifyBatches.js';
import { recoverySweep } from './recovery.js';
import { storableError } from '../runtime/safeError.js';
import { analyzeNeverAnalyzed } from '../db/statistics.js';
import { acceptHandoff, stopHandoff } from './handoff.js';
import { identifyLocally, stopIdentifyingLocally } from './localIdentify.js';

export interface PipelineWorkers {
  close(): Promise<void>;
  /** Resolves when the identity index is built (identify waits for it; intake never does). */
  ready: Promise<void>;
  /** Identify batches run and the jobs they took. */
  identifyBatches: IdentifyBatcher['stats'];
}

export interface WorkerOptions {
  concurrency: number;
  resolver?: Resolver;
  /** Seconds between recovery sweeps (default 10: the sweep skips records live jobs name, so rounds are cheap and never double work); 0 turns the periodic sweep off (the one at start still runs). */
  sweepEverySeconds?: number;
}

/** The longest pause between sweeps while the queues are busy. */
const MAX_SWEEP_BACKOFF_SECONDS = 300;

/** Starts one BullMQ worker per stage and the recovery sweep. */
export async function startWorkers(ctx: PipelineContext, connection: () => Redis, opts: WorkerOptions): Promise<PipelineWorkers> {
  // One resolver per process: it holds the in-memory identity index.
  const resolver = opts.resolver ?? new EngineResolver();
  // Registrations this process's intake stores are handed to identify here, not read back.
  acceptHandoff(ctx.db);
  // The index is built in the background; the first identify batch waits for it, nothing else does.
  const preparing = (resolver.prepare?.(ctx.db) ?? Promise.resolve())
    .catch((err: unknown) => ctx.log.warn({ err }, 'identity index not prepared at start'))
    // Tables never analyzed (a fresh install, a restored dump) get statistics before the first batches plan on them.
    .then(() => analyzeNeverAnalyzed(ctx.db, ctx.log))
    .then((tables) => { if (tables.length) ctx.log.info({ tables }, 'analyzed tables that had no statistics'); })
    .catch((err: unknown) => ctx.log.warn({ err }, 'statistics check at start failed'));
  // Identify serializes on a Postgres advisory lock: the jobs held at once become one batch, not parallel batches.
  // In a backlog the next batch's records are read and normalized while a batch runs.
  const batcher = new IdentifyBatcher<ReadAhead>(
    (ids, kind, ahead) => identifyStage(ctx, ids, kind, resolver, ahead), IDENTIFY_BATCH_CAP, (ids, kind) => readAhead(ctx.db, ids, kind, resolver),
  );
  // Single pushes stored by this process come straight to the batcher (localIdentify), with no job.
  identifyLocally(ctx.db, { submit: (kind, ids) => batcher.submit(kind, ids) });
  const run: Record<Stage, (job: Job<StageJob>, token?: string) => Promise<unknown>> = {
    identify: async (job, token) => {
      if ((await batcher.submit(job.data.kind ?? 'registration', job.data.ids)) === 'done') return;
      // The worker is closing and the job's batch never started: back to the queue, no attempt spent.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    },
    route: (job) => routeStage(ctx, job.data.ids),
  };
  const connections: Redis[] = [];
  const workers = STAGES.map((stage) => {
    const conn = connection();
    connections.push(conn);
    const w = new Worker<StageJob>(queueName(stage), async (job, token) => {
      try {
        await run[stage](job, token);
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        // BullMQ keeps the message and stack in Redis as the failure reason: only the PII-safe form goes there.
        throw storableError(err);
      }
    }, {
      connection: conn,
      prefix: ctx.queues.prefix,
      concurrency: stage === 'identify' ? IDENTIFY_JOBS_AT_ONCE : opts.concurrency,
      // A process killed with jobs in hand: its jobs run again elsewhere within ~20 s, not the default ~60.
      // The lock is renewed every 7.5 s while a job runs (the index build yields to let that happen).
      lockDuration: 15_000,
      stalledInterval: 5_000,
    });
    w.on('failed', (job, err) => ctx.log.warn({ stage, jobId: job?.id, attempts: job?.attemptsMade, err }, 'stage job failed'));
    w.on('error', (err) => ctx.log.error({ stage, err }, 'worker error'));
    return w;
  });

  const every = opts.sweepEverySeconds ?? 10;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let pause = every;
  const sweep = async (age: number) => {
    try {
      const r = await recoverySweep(ctx, age, undefined, (kind) => batcher.holding(kind));
      // Busy queues: sweep less often until they drain (the sweep would only read jobs that will run anyway).
      pause = r.backedOff ? Math.min(MAX_SWEEP_BACKOFF_SECONDS, pause * 2) : every;
    } catch (err) {
      ctx.log.warn({ err }, 'recovery sweep failed');
      pause = Math.min(MAX_SWEEP_BACKOFF_SECONDS, pause * 2);
    }
  };
  // The sweep in progress, which close waits for: cut off, it would fail on the closed pool and Redis.
  let sweeping: Promise<void> = Promise.resolve();
  const schedule = () => {
    if (closed || every <= 0) return;
    timer = setTimeout(() => { sweeping = sweep(every * 2).then(schedule); }, pause * 1000);
    timer.unref();
  };
  await sweep(0);
  schedule();

  return {
    ready: preparing,
    identifyBatches: batcher.stats,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await sweeping;
      // New single pushes become jobs again; the workers stop taking jobs; then the jobs (and local
      // submissions) the batcher still holds go back to the queue.
      stopIdentifyingLocally(ctx.db);
      const stopping = workers.map((w) => w.close());
      await batcher.stop();
      await Promise.all(stopping);
      await preparing;
      stopHandoff(ctx.db);
      // BullMQ leaves connections it was handed open.
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
