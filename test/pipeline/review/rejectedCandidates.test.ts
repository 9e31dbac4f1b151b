import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { rejectedCandidates } from '../../../src/pipeline/review/index.js';
import { createTestDatabase } from '../../helpers/database.js';
import { openDatabase } from '../../../src/db/client.js';

// What staff decided about a record ("not this citizen") holds through merges: the candidate a record was
// told apart from is answered as the citizen that survives it, and only for the records asked about.
t.test('the citizens a record was told apart from, as they survive merges, for the asked records only', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const database = await openDatabase(testDb.url, '', { max: 2 });
  t.teardown(() => database.close());
  const { db } = database;
  const citizen = async (name: string) => (await rows<{ id: number }>(db, sql`insert into citizens (full_name) values (${name}) returning id`))[0]!.id;
  const [a, b, c, d, e, f] = [await citizen('A'), await citizen('B'), await citizen('C'), await citizen('D'), await citizen('E'), await citizen('F')];
  // C was merged into D, and D later into E: a decision against C now stands against E.
  await db.execute(sql`update citizens set merged_into = ${d} where id = ${c}`);
  await db.execute(sql`update citizens set merged_into = ${e} where id = ${d}`);
  const decided = (kind: string, record: number, cit: number, cand: number, status = 'different') => db.execute(sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, status)
    values ('181201', ${kind}, ${record}, ${cit}, ${cand}, ${status})`);
  await decided('resident', 1, a, b);
  await decided('resident', 1, a, c);
  await decided('resident', 2, a, f, 'open');
  await decided('resident', 3, f, b);
  await decided('registration', 1, a, f);

  const got = await rejectedCandidates(db, 'resident', [1, 2, 9]);
  t.same([...got.entries()].map(([r, s]) => [r, [...s].sort((x, y) => x - y)]), [[1, [b, e].sort((x, y) => x - y)]],
    'record 1: B, and E for C merged twice; an open case is no decision; record 3 and the registration were not asked');
  t.same([...(await rejectedCandidates(db, 'registration', [1])).get(1)!], [f], 'by kind');
  t.equal((await rejectedCandidates(db, 'resident', [])).size, 0);
});
