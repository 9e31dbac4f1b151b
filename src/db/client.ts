import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import { migrate as migrateLite } from 'drizzle-orm/pglite/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';
import { lockDataDir, type LockOptions } from './pgliteLock.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Queryable = Db | Tx;

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface Database {
  db: Db;
  /**
   * One connection whose prepared statements may keep a generic plan (plan_cache_mode auto), for a
   * hot statement whose plan does not depend on its parameters' values: no status (or other value
   * a partial index is chosen by) passed as a parameter. `db` plans every execution anew, which for
   * the single-push group commit was 0.35 ms of planning per 0.48 ms run. PGlite: `db` itself.
   */
  reusingPlans: Db;
  kind: 'postgres' | 'pglite';
  /** Human description without credentials, for logs. */
  describe: string;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  max?: number;
  /** Who holds the embedded database's lock (default: this process's command line, one-shot). */
  lock?: Partial<LockOptions>;
}

/**
 * A Unix socket named as libpq names it, `?host=/var/run/postgresql` (a directory) in the URL: the
 * socket file within it and the URL without the parameter (postgres.js reads only the URL's host).
 * Many installations let local clients in only through the socket.
 */
export function socketOf(url: string): { url: string; path?: string } {
  const u = new URL(url);
  const dir = u.searchParams.get('host');
  if (!dir?.startsWith('/')) return { url };
  u.searchParams.delete('host');
  return { url: u.toString(), path: `${dir.replace(/\/$/, '')}/.s.PGSQL.${u.port || 5432}` };
}

/** A postgres.js client for `url`, over the Unix socket the URL names (socketOf) if it names one. */
export function connectPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>>): postgres.Sql {
  const socket = socketOf(url);
  return postgres(socket.url, socket.path ? { ...options, path: socket.path } : options);
}

/**
 * Opens Postgres at `url`, or embedded PGlite under `dataDir` when no url is given. PGlite is opened
 * by one process at a time: a second one gets DatabaseLockedError.
 */
export async function openDatabase(url: string | undefined, dataDir: string, opts: OpenOptions = {}): Promise<Database> {
  if (url) {
    // JIT off: the hub's statements are short, and a stale row estimate (a table that grew since its
    // last ANALYZE) made Postgres spend ~120 ms compiling a 3 ms lookup, once per identify batch.
    // Custom plans only: a prepared statement's generic plan cannot use the partial in-flight indexes
    // for a status passed as a parameter. Planning is not free (a third of Postgres' time under single
    // pushes), so a hot statement without such a parameter may run on `reusingPlans` instead.
    const client = connectPostgres(url, { max: opts.max ?? 10, onnotice: () => {}, connection: { jit: 'off', plan_cache_mode: 'force_custom_plan' } });
    const { url: tcpUrl, path: socket } = socketOf(url);
    const db = drizzlePg(preparing(client), { schema }) as unknown as Db;
    // Connects on its first statement: a process that never uses it opens nothing.
    const planned = connectPostgres(url, { max: 1, onnotice: () => {}, connection: { jit: 'off', plan_cache_mode: 'auto' } });
    const u = new URL(tcpUrl);
    return {
      db,
      reusingPlans: drizzlePg(preparing(planned), { schema }) as unknown as Db,
      kind: 'postgres',
      describe: `postgres ${socket ?? `${u.hostname}:${u.port || 5432}`}${u.pathname}`,
      migrate: () => migratePg(db as never, { migrationsFolder: MIGRATIONS_DIR }),
      close: async () => { await Promise.all([client.end({ timeout: 5 }), planned.end({ timeout: 5 })]); },
    };
  }
  const dir = path.join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const release = await lockDataDir(path.join(dataDir, 'pglite.lock'), dir, {
    command: ['tiyuh-hub', ...process.argv.slice(2, 4)].join(' '), longRunning: false, ...opts.lock,
  });
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const client = await PGlite.create(dir);
    const db = drizzleLite(client, { schema }) as unknown as Db;
    return {
      db,
      reusingPlans: db,
      kind: 'pglite',
      describe: `embedded PGlite at ${dir}`,
      migrate: () => migrateLite(db as never, { migrationsFolder: MIGRATIONS_DIR }),
      close: async () => {
        try {
          await client.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Statements with at most this many parameters (and this much text) run as named prepared statements,
 * cached per connection by postgres.js. drizzle sends every statement unprepared, and postgres.js then
 * spends two round trips on each one with parameters (Parse/Describe to learn the parameter types,
 * then Bind/Execute); a prepared one is described once per connection and then takes one. The bound
 * keeps the cache finite: the hub's bulk statements pass arrays as one parameter each (sqlArrays.ts),
 * so only a query builder's `in (...)` list of varying length makes new texts, and a long list is not
 * worth keeping. A connection's cache goes with it (postgres.js recycles connections after 30–60 min).
 */
export const PREPARE_MAX_PARAMS = 64;
export const PREPARE_MAX_TEXT = 16_000;

type Sql = postgres.Sql;

/** The client drizzle talks to, with prepare chosen per statement; transactions and savepoints get the same. */
export function preparing(client: Sql): Sql {
  const prepare = (text: string, args: unknown): boolean =>
    Array.isArray(args) && args.length > 0 && args.length <= PREPARE_MAX_PARAMS && text.length <= PREPARE_MAX_TEXT;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (text: string, args?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(text, args as never, { ...options, prepare: prepare(text, args) });
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...a: unknown[]) => {
          const fn = a[a.length - 1] as (c: Sql) => unknown;
          return (Reflect.get(target, prop) as (...b: unknown[]) => unknown)(...a.slice(0, -1), (c: Sql) => fn(preparing(c)));
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

/** Rows of a raw statement; postgres.js answers an array, PGlite an object with `rows`. */
export async function rows<T>(db: Queryable, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown;
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}
