import { Queue, type ConnectionOptions } from 'bullmq';
import type { StageQueues } from '../../pipeline/queues.js';

export const SYNC_QUEUE = 'sync';

/** Jobs carry the source id and run id, nothing else: settings (secrets) and records stay in Postgres. */
export interface SyncJob { sourceId: string; runId?: number }

const queues = new WeakMap<StageQueues, Queue<SyncJob>>();

/** The sync queue on the same producer connection and prefix as the hub's stage queues. */
export function syncQueueOf(stageQueues: StageQueues): Queue<SyncJob> {
  let q = queues.get(stageQueues);
  if (!q) {
    const connection = stageQueues.queues.identify.opts.connection as ConnectionOptions;
    q = new Queue<SyncJob>(SYNC_QUEUE, { connection, prefix: stageQueues.prefix });
    queues.set(stageQueues, q);
  }
  return q;
}

/** Page `seq` of a run: re-adding the same page while it lives is a no-op, so a retried step is safe. */
export function pageJobId(sourceId: string, runId: number, seq: number): string {
  return `page.${sourceId}.${runId}.${seq}`;
}

export function seqOfPageJob(jobId: string): number {
  return Number(jobId.slice(jobId.lastIndexOf('.') + 1));
}
