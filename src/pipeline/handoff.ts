import type { Person } from './stages/identify.js';
import type { ValidRegistration } from './validate/registration.js';

/**
 * Registrations this process has just stored, handed to its own identify stage so that stage need not
 * read them back: in `npm run bench` that read was 1.1 s of Postgres per 77,000 registrations (the
 * applicant's jsonb turned back into text) and the JSON parse of every one in the hub. Each entry
 * carries the row version (xmin) the insert returned; identify locks the rows and takes an entry only
 * while the row is still that version (a record changed since, a re-push updated in place, is read
 * again), so an entry is a shortcut, never a second source of truth. Entries are taken once; a batch
 * that fails or is retried elsewhere reads the rows as before.
 *
 * Only a process that runs the pipeline keeps them (`acceptHandoff`, by the workers): an API-only
 * process would fill memory with entries nobody takes. At most HANDOFF_CAP entries are kept, none
 * older than HANDOFF_MAX_AGE_MS (the oldest go first; a record past either is read from Postgres): a
 * process whose records other worker processes identify holds only its last minute's.
 */
export interface Handed {
  /** xmin of the row as stored. */
  version: string;
  villageCode: string;
  serviceCode: string;
  person: Person;
}

/** The entry of a registration just stored: `version` is the xmin its insert returned. */
export function handedRegistration(version: string, villageCode: string, value: ValidRegistration): Handed {
  return { version, villageCode, serviceCode: value.service.code, person: value.applicant };
}

export const HANDOFF_CAP = 50_000;
export const HANDOFF_MAX_AGE_MS = 60_000;

interface Kept { handed: Handed; at: number }

const byDb = new WeakMap<object, Map<number, Kept>>();

/** Drops entries past the cap or the age, oldest first (a Map iterates in insertion order). */
function evict(kept: Map<number, Kept>, now: number): void {
  for (const [id, k] of kept) {
    if (kept.size <= HANDOFF_CAP && now - k.at <= HANDOFF_MAX_AGE_MS) break;
    kept.delete(id);
  }
}

/** Called where the pipeline runs on this database handle: from now on stored registrations are kept for it. */
export function acceptHandoff(db: object): void {
  if (!byDb.has(db)) byDb.set(db, new Map());
}

/** Stops keeping entries for this handle and forgets those kept (the workers stopped). */
export function stopHandoff(db: object): void {
  byDb.delete(db);
}

/** Keeps registrations just committed; a no-op unless this process identifies on `db`. */
export function handOff(db: object, entries: Iterable<[number, Handed]>, now = Date.now()): void {
  const kept = byDb.get(db);
  if (!kept) return;
  for (const [id, handed] of entries) {
    kept.delete(id);
    kept.set(id, { handed, at: now });
  }
  evict(kept, now);
}

/** The entry of a registration, removed as it is taken; undefined when none is kept. */
export function takeHanded(db: object, id: number, now = Date.now()): Handed | undefined {
  const kept = byDb.get(db);
  const k = kept?.get(id);
  if (!k) return undefined;
  kept!.delete(id);
  return now - k.at <= HANDOFF_MAX_AGE_MS ? k.handed : undefined;
}

/** Entries kept for a handle (tests, measurements). */
export function handedCount(db: object): number {
  return byDb.get(db)?.size ?? 0;
}
