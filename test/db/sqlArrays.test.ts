import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sqlArrays.js';
import { createTestDatabase } from '../helpers/database.js';

const testDb = await createTestDatabase();
t.teardown(() => testDb.drop());
const db = testDb.database.db;

async function roundTrip(values: unknown[], type: 'int' | 'real') {
  const [r] = await rows<{ out: unknown[] | null }>(db, sql`select to_json(array(select x::text from unnest(${arrayParam(values, type)}) as u(x))) as out`);
  return r!.out;
}

t.test('number arrays travel as one literal and come back the same, nulls included', async (t) => {
  t.same(await roundTrip([1, -2, 2147483647, null, 0], 'int'), ['1', '-2', '2147483647', null, '0']);
  t.same(await roundTrip([1.5, null, -0.25, Infinity, -Infinity, NaN], 'real'), ['1.5', null, '-0.25', 'Infinity', '-Infinity', 'NaN']);
  t.same(await roundTrip([], 'int'), []);
  t.same(await roundTrip([null], 'real'), [null]);
});

t.test('values that are not numbers take the general path', async (t) => {
  t.same(await roundTrip(['7', 8, null], 'int'), ['7', '8', null], 'numeric strings still work');
  await t.rejects(roundTrip(['1},{2'], 'int'), 'a string is one element, never spliced into the literal');
  await t.rejects(roundTrip([2 ** 31], 'int'), 'out of range is refused by Postgres, not wrapped');
});
