import type { RecordKind } from './queues.js';
import type { Submitted } from './stages/identifyBatches.js';

/**
 * Identify work handed straight to this process's own identify batcher, without a BullMQ job. A single
 * push's group commit made one job per group, and each job cost three Redis scripts (add, move to
 * active, move to finished): at 1,000 pushes/s BullMQ was a tenth of the serving thread and Redis used
 * a tenth of a core. Postgres stays the truth: what the batcher fails, or hands back as it closes,
 * becomes a job as before (attempts, backoff); what a crash loses is still 'validated' in Postgres,
 * and the recovery sweep re-drives it (skipping what this process's batcher holds). Only where the
 * pipeline runs in the process that stored the records (`serve` with its workers); an API-only process
 * enqueues jobs for the worker processes.
 */
export interface LocalIdentify {
  submit(kind: RecordKind, ids: number[]): Promise<Submitted>;
}

const byDb = new WeakMap<object, LocalIdentify>();

/** Called by the workers on the database handle they identify on. */
export function identifyLocally(db: object, local: LocalIdentify): void {
  byDb.set(db, local);
}

/** The workers stopped: records go to the queue again. */
export function stopIdentifyingLocally(db: object): void {
  byDb.delete(db);
}

/** This process's identify batcher for `db`, when its workers run here. */
export function localIdentify(db: object): LocalIdentify | undefined {
  return byDb.get(db);
}
