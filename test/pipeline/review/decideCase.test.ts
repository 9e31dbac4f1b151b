import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import {
  decideCase, loadLinkedRecords, loadRecordPerson, pairKey, refreshGoldenRecords, rejectedCandidates, rejectedPairs, ReviewError, splitCase,
} from '../../../src/pipeline/review/index.js';
import { eventually, startTestHub } from '../../helpers/hub.js';
import { PANARAGAN } from '../../helpers/fixtures.js';
import { citizenRow, deliveryOf, openPossibleCase, pushRouted, registrationRow, samePersonTwice } from './fixtures/reviewCase.js';

const th = await startTestHub(t);
const db = th.hub.database.db;
const queues = th.hub.ctx.queues;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const staff = { label: 'kecamatan:test-staff', keyId: 0 };

const auditOf = (caseId: number) => rows<{ actor: string; action: string; region_code: string; detail: Record<string, unknown> }>(db, sql`
  select actor, action, region_code, detail from audit_log where target_type = 'review_cases' and target_id = ${String(caseId)} order by id`);
const recordsOf = async (citizenId: number) => (await rows<{ record_kind: string; record_id: number; link: string }>(db, sql`
  select record_kind, record_id, link from citizen_records where citizen_id = ${citizenId} order by id`));

t.test('"same" merges the new citizen into the candidate; the held registration follows and is routed', async (t) => {
  const pair = samePersonTwice(1);
  const c = await openPossibleCase(th, { villageKey, ...pair });
  t.match(await registrationRow(th, c.registration), { status: 'held', identity: 'provisional', citizen_id: c.citizen }, 'held while under review');
  t.equal(await deliveryOf(th, c.registration), null, 'not in any agency queue yet');

  const out = await decideCase(db, queues, c.caseId, 'same', staff, 'Same NIK apart from two swapped digits, same birth date');
  t.match(out, { status: 'same', changed: true, citizenId: c.existingCitizen, released: [c.registration], routingDeferred: false });

  t.equal((await citizenRow(th, c.citizen)).merged_into, c.existingCitizen, 'the new citizen points at the survivor');
  t.same((await recordsOf(c.citizen)), [], 'nothing is left on the merged citizen');
  const survivorRecords = await recordsOf(c.existingCitizen);
  t.same(survivorRecords.map((r) => r.record_id).sort(), [c.existingRegistration, c.registration].sort(), 'both source records are kept, on the survivor');
  t.equal(survivorRecords.find((r) => r.record_id === c.registration)!.link, 'manual', 'the link now records a person\'s decision');

  const routed = await eventually(async () => {
    const r = await registrationRow(th, c.registration);
    return r.status === 'routed' ? r : null;
  });
  t.match(routed, { identity: 'confirmed', citizen_id: c.existingCitizen, route_agency: 'dinsos' });
  t.match(await deliveryOf(th, c.registration), { queue: 'kab:dinsos', status: 'waiting' }, 'delivered to the agency queue');

  const golden = await citizenRow(th, c.existingCitizen);
  t.equal(golden.nik, pair.existing.nik, 'the NIK consistent with the birth date wins over the transposed one');
  t.equal(golden.full_name, pair.existing.fullName, 'the fullest name, without titles');
  t.equal(golden.address, 'Jl. Baru No. 9', 'the most recent address');
  t.equal(golden.village_code, pair.incoming.villageCode, 'with its village');

  const audit = await auditOf(c.caseId);
  t.equal(audit.length, 1);
  t.match(audit[0], {
    actor: staff.label, action: 'review.same', region_code: '181205',
    detail: { reason: 'Same NIK apart from two swapped digits, same birth date', merge: { from: c.citizen, into: c.existingCitizen } },
  });
});

t.test('deciding again: the same way changes nothing, the other way is refused', async (t) => {
  const c = await openPossibleCase(th, { villageKey, ...samePersonTwice(2) });
  const first = await decideCase(db, queues, c.caseId, 'same', staff, 'same person');
  const again = await decideCase(db, queues, c.caseId, 'same', staff, 'clicked twice');
  t.equal(first.changed, true);
  t.match(again, { changed: false, status: 'same', citizenId: c.existingCitizen, reason: 'same person', released: [] });
  await t.rejects(decideCase(db, queues, c.caseId, 'different', staff, 'changed my mind'), { code: 'CASE_ALREADY_DECIDED', currentStatus: 'same' });
  t.equal((await auditOf(c.caseId)).length, 1, 'one decision, one audit entry');
  const missing = await decideCase(db, queues, 999_999, 'same', staff, 'nothing').catch((e: unknown) => e);
  t.ok(missing instanceof ReviewError && missing.code === 'CASE_NOT_FOUND', 'an unknown case is not found');
});

t.test('two staff deciding at the same moment: one decision is made, the other finds it made', async (t) => {
  const c = await openPossibleCase(th, { villageKey, ...samePersonTwice(3) });
  const outs = await Promise.all([
    decideCase(db, queues, c.caseId, 'same', staff, 'first'),
    decideCase(db, queues, c.caseId, 'same', { label: 'kecamatan:other-staff' }, 'second'),
  ]);
  t.same(outs.map((o) => o.changed).sort(), [false, true]);
  t.equal((await auditOf(c.caseId)).length, 1);
});

t.test('a split moves the records back to the citizen they came from and reopens the case', async (t) => {
  const pair = samePersonTwice(4);
  const c = await openPossibleCase(th, { villageKey, ...pair });
  await decideCase(db, queues, c.caseId, 'same', staff, 'looks the same');
  await eventually(async () => (await registrationRow(th, c.registration)).status === 'routed');

  const split = await splitCase(db, c.caseId, staff, 'Different mothers on the KK: two people');
  t.match(split, { status: 'open', changed: true, citizenId: c.citizen, decidedBy: null });
  t.equal((await citizenRow(th, c.citizen)).merged_into, null, 'no longer merged');
  t.same((await recordsOf(c.citizen)).map((r) => [r.record_id, r.link]), [[c.registration, 'possible']], 'the record is back, with its original link');
  t.same((await recordsOf(c.existingCitizen)).map((r) => r.record_id), [c.existingRegistration]);
  t.match(await registrationRow(th, c.registration), { citizen_id: c.citizen, identity: 'provisional', status: 'routed' },
    'identity is open again; what the agency already received stays routed');
  const survivor = await citizenRow(th, c.existingCitizen);
  t.equal(survivor.address, 'Jl. Lama No. 1', 'the survivor\'s golden record no longer uses the split record');
  t.equal(survivor.village_code, '1812012002');
  t.equal((await citizenRow(th, c.citizen)).full_name, `Moh. Ali ${pair.incoming.fullName.split(' ').pop()}`, 'the split citizen has its own golden record, without titles');

  t.match(await splitCase(db, c.caseId, staff, 'again'), { changed: false, status: 'open' }, 'a repeated split is a no-op');
  const audit = await auditOf(c.caseId);
  t.same(audit.map((a) => a.action), ['review.same', 'review.split']);
  t.match(audit[1]!.detail, { reason: 'Different mothers on the KK: two people', previousDecision: { reason: 'looks the same' } });

  const different = await decideCase(db, queues, c.caseId, 'different', staff, 'two people after all');
  t.match(different, { status: 'different', changed: true, citizenId: c.citizen });
  t.equal((await registrationRow(th, c.registration)).identity, 'confirmed');
  await t.rejects(splitCase(db, c.caseId, staff, 'not merged'), { code: 'CASE_NOT_MERGED' });
});

t.test('"different" releases the held registration under its own citizen and is remembered', async (t) => {
  const c = await openPossibleCase(th, { villageKey, ...samePersonTwice(5) });
  const out = await decideCase(db, queues, c.caseId, 'different', staff, 'Different mother and birth place');
  t.match(out, { status: 'different', changed: true, citizenId: c.citizen, released: [c.registration] });
  const routed = await eventually(async () => {
    const r = await registrationRow(th, c.registration);
    return r.status === 'routed' ? r : null;
  });
  t.match(routed, { identity: 'confirmed', citizen_id: c.citizen });
  t.match(await deliveryOf(th, c.registration), { queue: 'kab:dinsos' });
  t.equal((await citizenRow(th, c.citizen)).merged_into, null, 'nothing merged');
  t.match((await auditOf(c.caseId))[0], { action: 'review.different', region_code: '181205', detail: { reason: 'Different mother and birth place' } });

  t.ok((await rejectedPairs(db, [c.citizen])).has(pairKey(c.citizen, c.existingCitizen)), 'the pair is remembered');
  t.ok((await rejectedPairs(db, [c.existingCitizen])).has(pairKey(c.existingCitizen, c.citizen)), 'from either side');
  t.same([...(await rejectedCandidates(db, 'registration', [c.registration])).get(c.registration) ?? []], [c.existingCitizen],
    'and for the record itself, should it be identified again');
  t.equal((await rejectedPairs(db, [c.existingRegistration + 100_000])).size, 0, 'unknown citizens have no rejected pairs');

  // The decision survives merges: once the rejected citizen is merged into a third one, the pair names the survivor.
  const third = await openPossibleCase(th, { villageKey, ...samePersonTwice(6) });
  await db.execute(sql`insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values ('181205', 'registration', ${c.registration}, ${c.citizen}, ${third.existingCitizen}, 5)`);
  const [merging] = await rows<{ id: number }>(db, sql`select id from review_cases where record_id = ${c.registration} and candidate_citizen_id = ${third.existingCitizen}`);
  await decideCase(db, queues, merging!.id, 'same', staff, 'same as the third');
  const pairs = await rejectedPairs(db, [third.existingCitizen]);
  t.ok(pairs.has(pairKey(third.existingCitizen, c.existingCitizen)), 'the survivor inherits the "different" decision');
  t.notOk(pairs.has(pairKey(c.citizen, c.existingCitizen)), 'pairs name surviving citizens only');
});

t.test('a registration with two open cases stays held until both are decided', async (t) => {
  const first = await openPossibleCase(th, { villageKey, ...samePersonTwice(7) });
  const other = samePersonTwice(8);
  const { citizen: secondCandidate } = await pushRouted(th, villageKey, other.existing);
  await db.execute(sql`insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
    values ('181205', 'registration', ${first.registration}, ${first.citizen}, ${secondCandidate}, 4)`);
  const [second] = await rows<{ id: number }>(db, sql`select id from review_cases where record_id = ${first.registration} and candidate_citizen_id = ${secondCandidate}`);

  const one = await decideCase(db, queues, first.caseId, 'different', staff, 'not this one');
  t.same(one.released, [], 'another case about the same registration is still open');
  t.match(await registrationRow(th, first.registration), { status: 'held', identity: 'provisional' });
  const two = await decideCase(db, queues, second!.id, 'same', staff, 'this one');
  t.same(two.released, [first.registration]);
  await eventually(async () => (await registrationRow(th, first.registration)).status === 'routed');
  t.match(await registrationRow(th, first.registration), { identity: 'confirmed', citizen_id: secondCandidate });
});

t.test('refreshGoldenRecords recomputes many citizens in one pass and leaves citizens without records alone', async (t) => {
  const c = await openPossibleCase(th, { villageKey, ...samePersonTwice(9) });
  await db.execute(sql`update citizens set full_name = 'stale', address = null where id = any(array[${c.citizen}, ${c.existingCitizen}]::int[])`);
  const golden = await refreshGoldenRecords(db, [c.citizen, c.existingCitizen, 2_000_000]);
  t.equal(golden.size, 2);
  t.not((await citizenRow(th, c.citizen)).full_name, 'stale');
  t.equal((await citizenRow(th, c.existingCitizen)).address, 'Jl. Lama No. 1');
});

t.test('a village resident record under review: "same" moves it to the survivor, whose golden record takes its newer address', async (t) => {
  const pair = samePersonTwice(10);
  const known = await pushRouted(th, villageKey, pair.existing);
  const made = await db.transaction(async (tx) => {
    const [resident] = await rows<{ id: number }>(tx, sql`
      insert into resident_records (village_code, local_id, nik, full_name, sex, birth_date, address, content_hash, channel, status, source_updated_at)
      values ('1812052006', 'opensid-4411', null, 'MOH. ALI AKBAR', 'M', ${pair.existing.birthDate}, 'Dusun Sidomulyo RT 002',
              repeat('0', 40), 'opendk', 'identified', now() + interval '1 minute')
      returning id`);
    const [citizen] = await rows<{ id: number }>(tx, sql`
      insert into citizens (full_name, sex, birth_date, address, village_code) values ('MOH. ALI AKBAR', 'M', ${pair.existing.birthDate}, 'Dusun Sidomulyo RT 002', '1812052006')
      returning id`);
    await tx.execute(sql`update resident_records set citizen_id = ${citizen!.id} where id = ${resident!.id}`);
    await tx.execute(sql`insert into citizen_records (citizen_id, record_kind, record_id, village_code, link, score)
      values (${citizen!.id}, 'resident', ${resident!.id}, '1812052006', 'possible', 6)`);
    const [rc] = await rows<{ id: number }>(tx, sql`
      insert into review_cases (kecamatan_code, record_kind, record_id, citizen_id, candidate_citizen_id, score)
      values ('181205', 'resident', ${resident!.id}, ${citizen!.id}, ${known.citizen}, 6) returning id`);
    return { resident: resident!.id, citizen: citizen!.id, caseId: rc!.id };
  });
  const person = await loadRecordPerson(db, 'resident', made.resident);
  t.match(person, { villageCode: '1812052006', person: { fullName: 'MOH. ALI AKBAR', birthDate: pair.existing.birthDate, nik: null } });

  const out = await decideCase(db, queues, made.caseId, 'same', staff, 'the village register has him without NIK');
  t.match(out, { status: 'same', citizenId: known.citizen, released: [] });
  const [res] = await rows<{ citizen_id: number }>(db, sql`select citizen_id from resident_records where id = ${made.resident}`);
  t.equal(res!.citizen_id, known.citizen, 'the resident record follows the survivor');
  const golden = await citizenRow(th, known.citizen);
  t.equal(golden.address, 'Dusun Sidomulyo RT 002', 'the village register is the more recent address');
  t.equal(golden.nik, pair.existing.nik, 'a record without NIK does not remove the citizen\'s');
  t.equal(golden.full_name, pair.existing.fullName);
  const linked = await loadLinkedRecords(db, [known.citizen]);
  t.same(linked.map((l) => l.kind).sort(), ['registration', 'resident']);

  await splitCase(db, made.caseId, staff, 'two men');
  const [back] = await rows<{ citizen_id: number }>(db, sql`select citizen_id from resident_records where id = ${made.resident}`);
  t.equal(back!.citizen_id, made.citizen);
  t.equal((await citizenRow(th, known.citizen)).address, 'Jl. Lama No. 1');
  t.equal((await citizenRow(th, made.citizen)).full_name, 'MOH. ALI AKBAR', 'casing kept as the village wrote it');
});
