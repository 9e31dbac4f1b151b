import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';
import { SyncError } from './types.js';

/**
 * Where the bearer token of a login account (login URL + user) is kept between requests. Every source
 * and hub process using the account must share one token: the Database Gabungan deletes a user's
 * older tokens at each login, so nine kecamatan sources of one account, or two hub processes, logging
 * in on their own would log each other out, page after page.
 */
export interface SessionStore {
  /** The token in use for the account, if any. */
  current(account: string): Promise<string | null>;
  /**
   * A token to use after `rejected` was refused (or none was known): the one another process obtained
   * meanwhile, else a fresh `login()` stored for all. `force` logs in regardless (a credentials check).
   */
  renew(account: string, rejected: string | null, login: () => Promise<string>, force?: boolean): Promise<string>;
}

const stores = new WeakMap<Db, SessionStore>();

/** Refused logins allowed in LOGIN_WINDOW: the Gabungan server blocks the user at the fifth. */
export const LOGIN_FAILURES_BEFORE_PAUSE = 3;
const LOGIN_WINDOW_MS = 10 * 60_000;

type Renewal = { token: string } | { error: unknown } | { pausedUntil: Date };

/**
 * Tokens shared by every process through Postgres (login_sessions), with this process's copy in
 * memory so a request does not read the table. A renewal holds a per-account advisory lock, so after a
 * refusal exactly one process logs in and the others take its token. Refused logins are counted per
 * account across processes, sync runs and checks alike; after three in ten minutes no login is tried
 * until the window has passed, so the hub never gets the account blocked on the village's server.
 */
export function sessionStoreFor(db: Db): SessionStore {
  const existing = stores.get(db);
  if (existing) return existing;
  const cache = new Map<string, string>();
  const store: SessionStore = {
    async current(id) {
      const cached = cache.get(id);
      if (cached) return cached;
      const [row] = await rows<{ token: string | null }>(db, sql`select token from login_sessions where account = ${id}`);
      if (row?.token) cache.set(id, row.token);
      return row?.token ?? null;
    },
    async renew(id, rejected, login, force) {
      const outcome = await db.transaction(async (tx): Promise<Renewal> => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`login-session:${id}`}))`);
        const [row] = await rows<{ token: string | null; failures: number; first_failure_at: Date | null }>(tx, sql`
          select token, failures, first_failure_at from login_sessions where account = ${id}`);
        if (!force && row?.token && row.token !== rejected) return { token: row.token };
        const windowEnd = row?.first_failure_at ? new Date(new Date(row.first_failure_at).getTime() + LOGIN_WINDOW_MS) : null;
        if (row && windowEnd && windowEnd.getTime() > Date.now() && row.failures >= LOGIN_FAILURES_BEFORE_PAUSE) return { pausedUntil: windowEnd };
        let fresh: string;
        try {
          fresh = await login();
        } catch (err) {
          if (!(err instanceof SyncError) || err.code !== 'LOGIN_REJECTED') throw err;
          await tx.execute(sql`insert into login_sessions (account, failures, first_failure_at) values (${id}, 1, now())
            on conflict (account) do update set
              failures = case when login_sessions.first_failure_at > now() - ${`${LOGIN_WINDOW_MS} milliseconds`}::interval then login_sessions.failures + 1 else 1 end,
              first_failure_at = case when login_sessions.first_failure_at > now() - ${`${LOGIN_WINDOW_MS} milliseconds`}::interval then login_sessions.first_failure_at else now() end`);
          return { error: err };
        }
        await tx.execute(sql`insert into login_sessions (account, token, obtained_at) values (${id}, ${fresh}, now())
          on conflict (account) do update set token = excluded.token, obtained_at = now(), failures = 0, first_failure_at = null`);
        return { token: fresh };
      });
      if ('error' in outcome) throw outcome.error;
      if ('pausedUntil' in outcome) {
        throw new SyncError('LOGIN_PAUSED', `${LOGIN_FAILURES_BEFORE_PAUSE} logins were refused within ten minutes; no new attempt before ${outcome.pausedUntil.toISOString()} (the server blocks the account at five)`, false);
      }
      cache.set(id, outcome.token);
      return outcome.token;
    },
  };
  stores.set(db, store);
  return store;
}
