import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';

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

/** Tokens in this process only: for code that runs without a database (one process, nothing to share). */
export function memorySessionStore(): SessionStore {
  const tokens = new Map<string, string>();
  return {
    current: async (id) => tokens.get(id) ?? null,
    async renew(id, rejected, login, force) {
      const known = tokens.get(id);
      if (!force && known && known !== rejected) return known;
      const token = await login();
      tokens.set(id, token);
      return token;
    },
  };
}

const stores = new WeakMap<Db, SessionStore>();

/**
 * Tokens shared by every process through Postgres (login_sessions), with this process's copy in
 * memory so a request does not read the table. A renewal holds a per-account advisory lock, so after a
 * refusal exactly one process logs in and the others take its token.
 */
export function sessionStoreFor(db: Db): SessionStore {
  const existing = stores.get(db);
  if (existing) return existing;
  const cache = new Map<string, string>();
  const store: SessionStore = {
    async current(id) {
      const cached = cache.get(id);
      if (cached) return cached;
      const [row] = await rows<{ token: string }>(db, sql`select token from login_sessions where account = ${id}`);
      if (row) cache.set(id, row.token);
      return row?.token ?? null;
    },
    async renew(id, rejected, login, force) {
      const token = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`login-session:${id}`}))`);
        const [row] = await rows<{ token: string }>(tx, sql`select token from login_sessions where account = ${id}`);
        if (!force && row && row.token !== rejected) return row.token;
        const fresh = await login();
        await tx.execute(sql`insert into login_sessions (account, token) values (${id}, ${fresh})
          on conflict (account) do update set token = excluded.token, obtained_at = now()`);
        return fresh;
      });
      cache.set(id, token);
      return token;
    },
  };
  stores.set(db, store);
  return store;
}
