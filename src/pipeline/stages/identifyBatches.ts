import type { RecordKind } from '../queues.js';

/** Most records one identify batch takes, across the jobs that wait. */
export const IDENTIFY_BATCH_CAP = 2000;

/**
 * Identify jobs one worker holds at once. They cost nothing while they wait (no connection, no
 * lock): holding many is what lets a batch take the records of all of them.
 */
export const IDENTIFY_JOBS_AT_ONCE = 256;

/** Past this many suspect records the set is forgotten (they get one more combined try each). */
const MAX_SUSPECTS = 100_000;

const OTHER: Record<RecordKind, RecordKind> = { registration: 'resident', resident: 'registration' };

/** The kind whose turn it is when it has work, else the other one when that has, else none. */
function pick(turn: RecordKind, hasWork: (kind: RecordKind) => boolean): RecordKind | null {
  return hasWork(turn) ? turn : hasWork(OTHER[turn]) ? OTHER[turn] : null;
}

/** How a job left the batcher: its records identified, or handed back unrun because the worker is closing. */
export type Submitted = 'done' | 'deferred';

interface Waiter {
  ids: number[];
  resolve(how?: Submitted): void;
  reject(err: unknown): void;
}

/**
 * Turns identify jobs into micro-batches across job boundaries. Identify is serialized (one batch at a
 * time, under the advisory lock) and each batch pays a fixed cost of about ten queries and a commit, so
 * one job per single-record push drained at 15–38 records/s. Here every job the worker holds waits its
 * turn, and one batch takes the records of all waiting jobs of a kind (up to the cap); a job ends when
 * the batch holding its records committed, so BullMQ's retries and the recovery sweep work as before.
 *
 * A batch that fails is retried job by job, and a job that fails alone is halved until each failing
 * record is alone, so a record that always fails holds back only itself (its job fails, the rest of
 * its records are identified); the failing records are then suspect and their job runs alone until it
 * succeeds, never again spoiling a shared batch. Jobs carry ids only; the records are read from
 * Postgres by the batch (nothing else changes).
 */
export class IdentifyBatcher<A = unknown> {
  private readonly waiting: Record<RecordKind, Waiter[]> = { registration: [], resident: [] };
  /** The next batch, taken from `waiting` while one runs, its records being read ahead. */
  private next: { kind: RecordKind; taken: Waiter[]; ahead: Promise<A | undefined> } | null = null;
  /** The batch running (its jobs, until each is done or failed). */
  private current: { kind: RecordKind; taken: Waiter[] } | null = null;
  private draining: Promise<void> | null = null;
  private stopped = false;
  private readonly suspects = new Set<string>();
  /** Batches run and jobs they took (and how many of them were read ahead), for tests and measurements. */
  readonly stats = { batches: 0, jobs: 0, retriedAlone: 0, readAhead: 0 };

  /**
   * `readAhead`, when given, starts on the next batch's records while a batch runs, if a backlog fills
   * that next batch anyway; `run` receives what it gave (undefined when it failed).
   */
  constructor(
    private readonly run: (ids: number[], kind: RecordKind, ahead?: Promise<A | undefined>) => Promise<unknown>,
    private readonly cap = IDENTIFY_BATCH_CAP,
    private readonly readAhead?: (ids: number[], kind: RecordKind) => Promise<A>,
  ) {}

  /**
   * Resolves 'done' when the job's records are identified (or were already), rejects when they failed,
   * and resolves 'deferred' when the worker closes before their batch started.
   */
  submit(kind: RecordKind, ids: number[]): Promise<Submitted> {
    return new Promise<Submitted>((resolve, reject) => {
      if (this.stopped) return resolve('deferred');
      this.waiting[kind].push({ ids, resolve: (how = 'done') => resolve(how), reject });
      this.kick();
    });
  }

  /**
   * Closing: the batch in progress finishes; jobs still waiting (the next batch's too) are handed back
   * (their worker puts them back in the queue), so a shutdown waits for one batch, not for every job
   * the worker holds.
   */
  stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.next?.taken ?? []) w.resolve('deferred');
    this.next = null;
    for (const queue of Object.values(this.waiting)) for (const w of queue.splice(0)) w.resolve('deferred');
    return this.draining ?? Promise.resolve();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // A job that came between the drain's last look and its end would wait for nothing.
      if (this.waiting.registration.length || this.waiting.resident.length || this.next) this.kick();
    });
  }

  private has(kind: RecordKind): boolean {
    return this.waiting[kind].length > 0 || this.next?.kind === kind;
  }

  private async drain(): Promise<void> {
    // Kinds take turns, so a long resident sync never starves single pushes (or the reverse).
    let turn: RecordKind = 'registration';
    while (!this.stopped) {
      const kind = pick(turn, (k) => this.has(k));
      if (!kind) return;
      turn = OTHER[kind];
      // The batch read ahead is its kind's oldest work; another kind's turn runs before it as it would have.
      let current: { taken: Waiter[]; ahead?: Promise<A | undefined> };
      if (this.next?.kind === kind) {
        current = this.next;
        this.next = null;
      } else {
        current = { taken: this.take(kind) };
      }
      this.lookAhead(turn);
      await this.batch(kind, current.taken, current.ahead);
    }
  }

  /**
   * Takes the next batch and starts reading its records, when a backlog fills it anyway: a job arriving
   * meanwhile would not have joined it (under a trickle, nothing is taken early and batches stay as fresh).
   */
  private lookAhead(turn: RecordKind): void {
    if (!this.readAhead || this.next) return;
    const kind = pick(turn, (k) => this.waiting[k].length > 0);
    if (!kind) return;
    let records = 0;
    for (const w of this.waiting[kind]) if ((records += w.ids.length) >= this.cap) break;
    if (records < this.cap) return;
    const taken = this.take(kind);
    this.stats.readAhead++;
    // A failed read costs nothing but the read: the batch then reads its records under the lock.
    this.next = { kind, taken, ahead: this.readAhead(taken.flatMap((w) => w.ids), kind).catch(() => undefined) };
  }

  /** The oldest waiting jobs of a kind, up to the cap (always at least one). */
  private take(kind: RecordKind): Waiter[] {
    const queue = this.waiting[kind];
    const taken: Waiter[] = [];
    let records = 0;
    while (queue.length && (taken.length === 0 || records + queue[0]!.ids.length <= this.cap)) {
      const w = queue.shift()!;
      taken.push(w);
      records += w.ids.length;
    }
    return taken;
  }

  private async batch(kind: RecordKind, taken: Waiter[], ahead?: Promise<A | undefined>): Promise<void> {
    this.current = { kind, taken };
    try {
      await this.runBatch(kind, taken, ahead);
    } finally {
      this.current = null;
    }
  }

  private async runBatch(kind: RecordKind, taken: Waiter[], ahead?: Promise<A | undefined>): Promise<void> {
    const suspect = (w: Waiter) => w.ids.some((id) => this.suspects.has(`${kind}:${id}`));
    const alone = taken.filter(suspect);
    const together = taken.filter((w) => !suspect(w));
    if (together.length > 0) {
      try {
        this.stats.batches++;
        this.stats.jobs += together.length;
        // One record named by two jobs (a job and the sweep's re-drive of work held in this process)
        // must be locked and decided once.
        await this.run([...new Set(together.flatMap((w) => w.ids))], kind, ahead);
        for (const w of together) w.resolve();
      } catch (err) {
        if (together.length === 1) {
          this.markSuspect(kind, together[0]!.ids);
          together[0]!.reject(err);
        } else {
          alone.push(...together);
        }
      }
    }
    for (const w of alone) {
      this.stats.retriedAlone++;
      const failed = await this.narrow(w.ids, kind);
      for (const id of w.ids) this.suspects.delete(`${kind}:${id}`);
      if (failed.length === 0) {
        w.resolve();
      } else {
        this.markSuspect(kind, failed.map((f) => f.id));
        w.reject(failed[0]!.err);
      }
    }
  }

  /**
   * Runs a job's records, halving what fails until each failing record is alone: the others are
   * identified, and only the failing ones stay suspect. A group of single pushes is one job, and one
   * record that always fails held back every record of its group, round after round of the sweep.
   */
  private async narrow(ids: number[], kind: RecordKind): Promise<{ id: number; err: unknown }[]> {
    try {
      await this.run(ids, kind);
      return [];
    } catch (err) {
      if (ids.length === 1) return [{ id: ids[0]!, err }];
      const half = Math.ceil(ids.length / 2);
      return [...await this.narrow(ids.slice(0, half), kind), ...await this.narrow(ids.slice(half), kind)];
    }
  }

  /** Records of a kind this batcher holds and has not finished (waiting, read ahead or in the running batch). */
  holding(kind: RecordKind): number[] {
    const held: number[] = [];
    for (const w of this.waiting[kind]) held.push(...w.ids);
    if (this.next?.kind === kind) for (const w of this.next.taken) held.push(...w.ids);
    if (this.current?.kind === kind) for (const w of this.current.taken) held.push(...w.ids);
    return held;
  }

  private markSuspect(kind: RecordKind, ids: number[]): void {
    if (this.suspects.size + ids.length > MAX_SUSPECTS) this.suspects.clear();
    for (const id of ids) this.suspects.add(`${kind}:${id}`);
  }
}
