import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, socketOf } from '../../src/db/client.js';
import { createTestDatabase } from '../helpers/database.js';

t.test('the hub talks to Postgres without JIT compilation', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const database = await openDatabase(testDb.url, '', { max: 2 });
  t.teardown(() => database.close());
  const [s] = await rows<{ jit: string }>(database.db, sql`show jit`);
  t.equal(s!.jit, 'off', 'a stale estimate must not make a 3 ms lookup pay 120 ms of compiling');
  // Every connection of the pool, not just the first.
  const all = await Promise.all([1, 2, 3, 4].map(() => rows<{ jit: string }>(database.db, sql`select current_setting('jit') as jit, pg_sleep(0.05)`)));
  t.same(all.map((r) => r[0]!.jit), ['off', 'off', 'off', 'off']);
});

t.test('DATABASE_URL can name a Unix socket as libpq does (?host=/directory)', async (t) => {
  t.same(socketOf('postgres://hub@localhost/tiyuh?host=/var/run/postgresql'), { url: 'postgres://hub@localhost/tiyuh', path: '/var/run/postgresql/.s.PGSQL.5432' });
  t.same(socketOf('postgres://hub@localhost:5433/tiyuh?host=/tmp/&sslmode=disable'), { url: 'postgres://hub@localhost:5433/tiyuh?sslmode=disable', path: '/tmp/.s.PGSQL.5433' });
  t.same(socketOf('postgres://hub@db.internal/tiyuh?host=db2'), { url: 'postgres://hub@db.internal/tiyuh?host=db2' }, 'a host name is no socket');
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const u = new URL(testDb.url);
  u.searchParams.set('host', '/var/run/postgresql');
  const database = await openDatabase(u.toString(), '');
  t.teardown(() => database.close());
  const [r] = await rows<{ addr: string | null; db: string }>(database.db, sql`select inet_client_addr() as addr, current_database() as db`);
  t.same(r, { addr: null, db: u.pathname.slice(1) }, 'connected over the socket (no client address), to the named database');
  t.match(database.describe, /^postgres \/var\/run\/postgresql\/\.s\.PGSQL\.5432\//);
});
