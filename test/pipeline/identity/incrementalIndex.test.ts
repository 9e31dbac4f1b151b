import t from 'tap';
import {
  dedupe, IdentityIndex, nameFrequenciesOf, prepareRecord, type PersonRecord,
} from '../../../src/pipeline/identity/index.js';
import { generatePopulation } from '../../../src/synth/population.js';

t.test('incremental resolve+add decides exactly as batch dedupe', async (t) => {
  const { records } = generatePopulation({ records: 3000, seed: 99 });
  const frequencies = nameFrequenciesOf(records.map(prepareRecord));
  const batch = dedupe(records, undefined, { frequencies });
  const idx = new IdentityIndex(undefined, { frequencies });
  const incremental = new Map<string, string>();
  let possible = 0;
  for (const r of records) {
    const res = idx.resolve(r);
    const cid = res.outcome === 'match' && res.citizenId ? res.citizenId : r.id;
    if (res.outcome !== 'match' && res.candidates.some((c) => c.outcome === 'possible')) possible++;
    incremental.set(r.id, cid);
    idx.add(cid, r);
  }
  let disagreements = 0;
  for (const [id, cid] of batch.clusterOf) if (incremental.get(id) !== cid) disagreements++;
  t.equal(disagreements, 0, 'same cluster for every record');
  t.equal(idx.citizenCount, batch.stats.clusters);
  t.ok(batch.stats.matched > 100, `the data has duplicates to find (${batch.stats.matched})`);
  t.ok(possible > 0, 'and pairs for review');
});

t.test('a citizen can hold several records; remove and merge', async (t) => {
  const a: PersonRecord = { id: 'a1', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: '1812056104790002', villageCode: '1812012002' };
  const a2: PersonRecord = { ...a, id: 'a2', nik: null, fullName: 'SRI WAHYUNI', villageCode: '1812042003' };
  const b: PersonRecord = { id: 'b1', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: null, villageCode: '1812052004', motherName: 'Paini' };
  const idx = new IdentityIndex();
  idx.add('CIT-1', a);
  idx.add('CIT-1', a2);
  t.equal(idx.recordsOf('CIT-1').length, 2);
  const res = idx.resolve({ ...a2, id: 'q' });
  t.equal(res.outcome, 'match');
  t.equal(res.citizenId, 'CIT-1');
  idx.add('CIT-2', b);
  idx.merge('CIT-2', 'CIT-1');
  t.notOk(idx.has('CIT-2'));
  t.same(idx.recordsOf('CIT-1').map((r) => r.id), ['a1', 'a2', 'b1'], 'members in the order they came');
  idx.renameCitizen('CIT-1', '42');
  t.notOk(idx.has('CIT-1'));
  t.same(idx.recordsOf('42').map((r) => r.id), ['a1', 'a2', 'b1']);
  t.equal(idx.resolve({ ...a2, id: 'q1' }).citizenId, '42', 'found under its new id');
  idx.renameCitizen('42', 'CIT-1');
  t.ok(idx.removeCitizen('CIT-1'));
  t.notOk(idx.removeCitizen('CIT-1'), 'already gone');
  const after = idx.resolve({ ...a, id: 'q2' });
  t.equal(after.outcome, 'distinct');
  t.same(after.candidates, []);
  t.throws(() => idx.merge('nope', 'CIT-1'));
});

t.test('resolve on an empty index', async (t) => {
  const res = new IdentityIndex().resolve({ id: 'x', fullName: 'Budi' });
  t.equal(res.outcome, 'distinct');
  t.equal(res.citizenId, undefined);
  t.equal(res.score, 0);
});

t.test('moveRecord takes one record to another citizen, from any place in the list', async (t) => {
  const rec = (id: string, fullName: string, birthDate: string): PersonRecord => ({ id, fullName, sex: 'F', birthDate, villageCode: '1812012002' });
  const idx = new IdentityIndex();
  for (const [id, name, date] of [['r1', 'Sri Wahyuni', '1979-04-21'], ['r2', 'Sri Wahyuni', '1979-04-21'], ['r3', 'Siti Aminah', '1985-02-03'], ['r4', 'Siti Aminah', '1985-02-03']] as const) {
    idx.add('C1', rec(id, name, date));
  }
  t.notOk(idx.moveRecord('r9', 'C1', 'C2'), 'no such record');
  t.notOk(idx.moveRecord('r1', 'C9', 'C2'), 'no such citizen');
  t.ok(idx.moveRecord('r4', 'C1', 'C2'), 'the last record');
  t.same(idx.recordsOf('C1').map((r) => r.id), ['r1', 'r2', 'r3']);
  t.ok(idx.moveRecord('r3', 'C1', 'C2'));
  t.same(idx.recordsOf('C2').map((r) => r.id), ['r4', 'r3'], 'appended to the existing citizen');
  t.ok(idx.moveRecord('r1', 'C1', 'C3'), 'the head');
  t.same(idx.recordsOf('C1').map((r) => r.id), ['r2']);
  idx.add('C1', rec('r5', 'Sri Wahyuni', '1979-04-21'));
  t.same(idx.recordsOf('C1').map((r) => r.id), ['r2', 'r5'], 'the list still ends where it should after its head moved');
  t.ok(idx.moveRecord('r2', 'C1', 'C3'));
  t.ok(idx.moveRecord('r5', 'C1', 'C3'));
  t.notOk(idx.has('C1'), 'a citizen left without records is gone');
  t.equal(idx.citizenCount, 2);
  t.equal(idx.recordCount, 5);
  const res = idx.resolve(rec('q', 'Siti Aminah', '1985-02-03'));
  t.equal(res.citizenId, 'C2', 'found under the citizen it moved to');
});
