import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { countReviewCases, listReviewCases } from '../../../src/pipeline/review/caseQueries.js';
import { startTestHub } from '../../helpers/hub.js';
import { PANARAGAN } from '../../helpers/fixtures.js';

// The review queue puts first the cases whose decision changes most: an aid enrolment, then a
// registration; oldest first within each. Built in SQL: the order is the queue's, not the engine's.
const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const KEC = '181207';

const citizen = async (name: string) =>
  (await rows<{ id: number }>(db, sql`insert into citizens (full_name) values (${name}) returning id`))[0]!.id;

let serial = 0;
async function openCase(kind: 'resident' | 'registration', citizenId: number, candidate: number): Promise<number> {
  const [c] = await rows<{ id: number }>(db, sql`
    insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values (${KEC}, ${kind}, ${900000 + ++serial}, ${citizenId}, ${candidate}, 12) returning id`);
  return c!.id;
}

const plain = await openCase('resident', await citizen('A'), await citizen('B'));
const registration = await openCase('registration', await citizen('C'), await citizen('D'));
const aidCandidate = await citizen('F');
const aid = await openCase('resident', await citizen('E'), aidCandidate);
await db.execute(sql`insert into aid_participants (village_code, local_id, program_local_id, content_hash, channel, citizen_id, link)
  values (${PANARAGAN}, 'p-1', 'prog-1', ${'0'.repeat(40)}, 'push', ${aidCandidate}, 'nik')`);
// A registration of the record's citizen, not the case's record, counts too.
const regCitizen = await citizen('G');
await db.execute(sql`insert into registrations (village_code, external_id, service_code, submitted_at, applicant, status, citizen_id)
  values (${PANARAGAN}, 'q-1', 'KTP_EL_BARU', now(), '{}'::jsonb, 'held', ${regCitizen})`);
const heldRegistration = await openCase('resident', regCitizen, await citizen('H'));
const plainLater = await openCase('resident', await citizen('I'), await citizen('J'));

const ids = async (after?: number) =>
  (await listReviewCases(db, { kecamatan: KEC, status: 'open', limit: 10, ...(after ? { after } : {}) })).map((c) => c.id);

t.test('aid first, then registrations, then the rest, oldest first within each', async (t) => {
  t.same(await ids(), [aid, registration, heldRegistration, plain, plainLater]);
  const list = await listReviewCases(db, { kecamatan: KEC, status: 'open', limit: 10 });
  t.same(list.map((c) => c.priority), [2, 1, 1, 0, 0], 'each case says why it is where it is');
  t.equal(await countReviewCases(db, { kecamatan: KEC, status: 'open', limit: 10 }), 5);
});

t.test('the queue continues behind a case in this order, also once that case is decided', async (t) => {
  t.same(await ids(registration), [heldRegistration, plain, plainLater]);
  t.same(await ids(heldRegistration), [plain, plainLater]);
  await db.execute(sql`update review_cases set status = 'same' where id = ${aid}`);
  t.same(await ids(aid), [registration, heldRegistration, plain, plainLater], 'the next case after the one just decided');
  t.same(await ids(plainLater), [], 'nothing after the last');
});
