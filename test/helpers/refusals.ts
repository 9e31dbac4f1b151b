import type { SQL } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';

/** What Postgres said when it refused a statement: SQLSTATE, constraint and detail (drizzle may wrap the error). */
export interface Refusal { code?: string; constraint?: string; detail?: string }

export function refusalOf(err: unknown): Refusal {
  let e = err as { code?: string; constraint_name?: string; detail?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 4; i++, e = e.cause as typeof e) if (e.code) return { code: e.code, constraint: e.constraint_name, detail: e.detail };
  return {};
}

/** Runs a statement: null when it was stored, else how it was refused. */
export function refuser(db: Db): (q: SQL) => Promise<Refusal | null> {
  return async (q) => {
    try {
      await db.execute(q);
    } catch (err) {
      return refusalOf(err);
    }
    return null;
  };
}
