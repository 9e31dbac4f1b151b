import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';
import { SyncError } from './types.js';

/** How to log in again, and what the server's login throttle allows (it keys on our address). */
export interface Renewal {
  login: () => Promise<string>;
  /** The server's address as a key (`server:<hash>`): its refusals count for every account on it. */
  server: string;
  lockout: { attempts: number; windowMs: number };
  /** Log in regardless of a stored token (a credentials check). */
  force?: boolean;
}

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
   * meanwhile, else a fresh login stored for all.
   */
  renew(account: string, rejected: string | null, how: Renewal): Promise<string>;
}

const stores = new WeakMap<Db, SessionStore>();

/** Refused logins of one account allowed in the server's window before the hub stops trying. */
export const LOGIN_FAILURES_BEFORE_PAUSE = 3;

type Outcome = { token: string } | { error: unknown } | { pausedUntil: Date; scope: 'account' | 'server'; failures: number };

interface Counter { token: string | null; failures: number; first_failure_at: Date | null }

const minutes = (ms: number) => Math.round(ms / 60_000);

/**
 * Tokens shared by every process through Postgres (login_sessions), with this process's copy in
 * memory so a request does not read the table. A renewal holds advisory locks on the server and the
 * account, so after a refusal exactly one process logs in and the others take its token. Refused logins
 * are counted per account and per server address across processes, sync runs and checks alike: the
 * OpenSID servers throttle logins by our address alone (AuthController::throttleKey reads a `credential`
 * field the login does not send), so five refusals of any accounts lock every account we hold there.
 * The hub stops at three refusals of one account, or one refusal short of the server's limit for the
 * address, until the server's window has passed. A login that succeeds clears both counts, as the
 * server clears its own.
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
    async renew(id, rejected, how) {
      const windowMs = how.lockout.windowMs;
      const interval = `${windowMs} milliseconds`;
      const outcome = await db.transaction(async (tx): Promise<Outcome> => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`login-session:${how.server}`}))`);
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`login-session:${id}`}))`);
        const found = await rows<Counter & { account: string }>(tx, sql`
          select account, token, failures, first_failure_at from login_sessions where account in (${id}, ${how.server})`);
        const row = found.find((r) => r.account === id);
        const server = found.find((r) => r.account === how.server);
        if (!how.force && row?.token && row.token !== rejected) return { token: row.token };
        const open = (c: Counter | undefined, limit: number) => {
          const end = c?.first_failure_at ? new Date(new Date(c.first_failure_at).getTime() + windowMs) : null;
          return c && end && end.getTime() > Date.now() && c.failures >= limit ? end : null;
        };
        const accountPause = open(row, LOGIN_FAILURES_BEFORE_PAUSE);
        if (accountPause) return { pausedUntil: accountPause, scope: 'account', failures: row!.failures };
        const serverPause = open(server, how.lockout.attempts - 1);
        if (serverPause) return { pausedUntil: serverPause, scope: 'server', failures: server!.failures };
        let fresh: string;
        try {
          fresh = await how.login();
        } catch (err) {
          if (!(err instanceof SyncError) || (err.code !== 'LOGIN_REJECTED' && err.code !== 'LOGIN_LOCKED')) throw err;
          const counted = err.code === 'LOGIN_LOCKED' ? [how.server] : [id, how.server];
          for (const key of counted) {
            // The server already locks us out: nothing is tried before its window has passed.
            const failures = err.code === 'LOGIN_LOCKED' ? sql`${how.lockout.attempts}` : sql`case when login_sessions.first_failure_at > now() - ${interval}::interval then login_sessions.failures + 1 else 1 end`;
            await tx.execute(sql`insert into login_sessions (account, failures, first_failure_at)
              values (${key}, ${err.code === 'LOGIN_LOCKED' ? how.lockout.attempts : 1}, now())
              on conflict (account) do update set
                failures = ${failures},
                first_failure_at = case when ${err.code === 'LOGIN_LOCKED'} or login_sessions.first_failure_at is null
                  or login_sessions.first_failure_at <= now() - ${interval}::interval then now() else login_sessions.first_failure_at end`);
          }
          return { error: err };
        }
        await tx.execute(sql`insert into login_sessions (account, token, obtained_at) values (${id}, ${fresh}, now())
          on conflict (account) do update set token = excluded.token, obtained_at = now(), failures = 0, first_failure_at = null`);
        await tx.execute(sql`update login_sessions set failures = 0, first_failure_at = null where account = ${how.server}`);
        return { token: fresh };
      });
      if ('error' in outcome) throw outcome.error;
      if ('pausedUntil' in outcome) {
        const until = outcome.pausedUntil.toISOString();
        throw new SyncError('LOGIN_PAUSED', outcome.scope === 'account'
          ? `${outcome.failures} logins of this account were refused within ${minutes(windowMs)} minutes; no new attempt before ${until} (the server blocks our address at ${how.lockout.attempts})`
          : `${outcome.failures} logins to this server were refused within ${minutes(windowMs)} minutes (any account); no new attempt before ${until}, so the server does not block every account of the hub's address at ${how.lockout.attempts}`, false);
      }
      cache.set(id, outcome.token);
      return outcome.token;
    },
  };
  stores.set(db, store);
  return store;
}
