import { Queue, type JobsOptions, type ConnectionOptions } from 'bullmq';

/**
 * The stages a record passes through, in order, and the registration status each one consumes.
 * Validation happens at intake, in every channel, so a sender gets its answer (or its quarantine)
 * at once; what reaches the queues is already valid.
 */
export const STAGES = ['identify', 'route'] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_INPUT_STATUS: Record<Stage, string> = {
  identify: 'validated',
  route: 'identified',
};

/** Most records one job carries: a connector page or a push batch travels as one job. */
export const MAX_BATCH = 1000;

/**
 * A job names the records by id and nothing else: personal data stays in Postgres (UU PDP), and a
 * lost job is rebuilt from Postgres by the recovery sweep.
 */
export type RecordKind = 'registration' | 'resident';
export interface StageJob {
  kind: RecordKind;
  ids: number[];
}

export const JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  // Without these BullMQ keeps every job forever. A failed job is only a record of the failure (its
  // reason is PII-safe, see safeError): the recovery sweep re-drives its records under a new job id.
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
};

/** States in which a job will still run: its records are covered and the sweep leaves them alone. */
export const LIVE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

export function queueName(stage: Stage): string {
  return `stage-${stage}`;
}

/**
 * A job id derived from its records, so adding the same batch twice while it waits is a no-op. The
 * recovery sweep's origin carries its round, so a batch whose job failed for good gets a new job.
 */
export function stageJobId(stage: Stage, ids: number[], origin: string, kind: RecordKind = 'registration'): string {
  let min = Infinity;
  let max = -Infinity;
  for (const id of ids) { if (id < min) min = id; if (id > max) max = id; }
  return `${stage}.${kind}.${origin}.${min}-${max}.${ids.length}`;
}

export class StageQueues {
  readonly queues: Record<Stage, Queue<StageJob>>;

  constructor(connection: ConnectionOptions, readonly prefix: string, jobOptions: Pick<JobsOptions, 'attempts' | 'backoff'> = {}) {
    const defaultJobOptions = { ...JOB_OPTIONS, ...jobOptions };
    this.queues = Object.fromEntries(
      STAGES.map((s) => [s, new Queue<StageJob>(queueName(s), { connection, prefix, defaultJobOptions })]),
    ) as Record<Stage, Queue<StageJob>>;
  }

  /** Enqueues records for a stage in batches of at most MAX_BATCH. */
  async enqueue(stage: Stage, ids: number[], origin = 'flow', kind: RecordKind = 'registration'): Promise<void> {
    if (ids.length === 0) return;
    const jobs = [];
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const batch = ids.slice(i, i + MAX_BATCH);
      jobs.push({ name: stage, data: { kind, ids: batch }, opts: { jobId: stageJobId(stage, batch, origin, kind) } });
    }
    await this.queues[stage].addBulk(jobs);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
