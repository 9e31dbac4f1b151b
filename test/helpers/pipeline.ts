import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Db } from '../../src/db/client.js';
import { lockIdentify } from '../../src/pipeline/stages/identifyLock.js';
import { eventually } from './hub.js';

export interface Outcome { done: number; deliveries: number; distinct: number; citizens: number; links: number; niks: number }

/** Waits until `total` registrations are routed or held; then what the pipeline made of them. */
export function allDone(db: Db, total: number, timeoutMs = 60_000): Promise<Outcome> {
  return eventually(async () => {
    const [r] = await rows<Outcome>(db, sql`
      select (select count(*)::int from registrations where status in ('routed', 'held')) as done,
             (select count(*)::int from deliveries) as deliveries, (select count(distinct registration_id)::int from deliveries) as distinct,
             (select count(*)::int from citizens) as citizens, (select count(*)::int from citizen_records) as links,
             (select count(distinct applicant->>'nik')::int from registrations) as niks`);
    return r!.done === total ? r : null;
  }, timeoutMs, 100);
}

/**
 * Holds identify's advisory lock from a connection of its own until the returned function is called
 * (which resolves once the lock is released and the connection closed): batches wait for it.
 */
export async function holdIdentifyLock(url: string): Promise<() => Promise<void>> {
  const holder = await openDatabase(url, '', { max: 1 });
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => { locked = r; });
  const holding = holder.db.transaction(async (tx) => {
    await lockIdentify(tx);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await holding;
    await holder.close();
  };
}
