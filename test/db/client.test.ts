import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
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
