import t from 'tap';
import type { Test } from 'tap';
import {
  dedupe, IdentityIndex, nameFrequenciesOf, prepareRecord, type PersonRecord,
} from '../../../src/pipeline/identity/index.js';
import { generatePopulation } from '../../../src/synth/population.js';

t.test('incremental resolve+add decides exactly as batch dedupe', async (t) => {
  // Seed 1 holds a record that joins two citizens (batch stats.joins), seed 99 none.
  for (const seed of [99, 1]) await t.test(`seed ${seed}`, async (t) => sameAsBatch(t, seed));
});

async function sameAsBatch(t: Test, seed: number): Promise<void> {
  const { records } = generatePopulation({ records: 3000, seed });
  const frequencies = nameFrequenciesOf(records.map(prepareRecord));
  const batch = dedupe(records, undefined, { frequencies });
  const idx = new IdentityIndex(undefined, { frequencies });
  const incremental = new Map<string, string>();
  const firstAt = new Map<string, number>();
  let possible = 0;
  let joins = 0;
  records.forEach((r, i) => {
    const res = idx.resolve(r, { joins: true });
    let cid = res.outcome === 'match' && res.citizenId ? res.citizenId : r.id;
    if (res.outcome !== 'match' && res.candidates.some((c) => c.outcome === 'possible')) possible++;
    incremental.set(r.id, cid);
    idx.add(cid, r);
    // The citizens the record joins become one, under the earlier first record (as the batch does).
    for (const other of res.joins ?? []) {
      const [into, from] = (firstAt.get(cid) as number) <= (firstAt.get(other) as number) ? [cid, other] : [other, cid];
      for (const m of idx.recordsOf(from)) incremental.set(m.id, into);
      idx.merge(from, into);
      cid = into;
      joins++;
    }
    if (cid === r.id) firstAt.set(r.id, i);
  });
  t.equal(joins, batch.stats.joins, 'the same citizens joined');
  let disagreements = 0;
  for (const [id, cid] of batch.clusterOf) if (incremental.get(id) !== cid) disagreements++;
  t.equal(disagreements, 0, 'same cluster for every record');
  t.equal(idx.citizenCount, batch.stats.clusters);
  t.ok(batch.stats.matched > 100, `the data has duplicates to find (${batch.stats.matched})`);
  t.ok(possible > 0, 'and pairs for review');
  if (seed === 1) t.ok(joins > 0, `a record joined two citizens (${joins})`);
}

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

t.test('a record that matches two citizens joins them when nothing stands between them', async (t) => {
  // One woman written three times: with her NIK but no family fields, with her family but no
  // NIK or date, and in full. The first two share only the name; the third matches both.
  const withNik: PersonRecord = { id: 'r1', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: '1812056104790002' };
  const withFamily: PersonRecord = { id: 'r2', fullName: 'Sri Wahyuni', sex: 'F', kk: '1812050101090011', motherName: 'Paini', villageCode: '1812052004' };
  const full: PersonRecord = {
    id: 'r3', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: '1812056104790002', kk: '1812050101090011',
    motherName: 'Paini', villageCode: '1812052004',
  };
  const idx = new IdentityIndex();
  idx.add('r1', withNik);
  t.equal(idx.resolve(withFamily).outcome, 'distinct', 'the first two do not match each other');
  idx.add('r2', withFamily);
  t.equal(idx.resolve(full).joins, undefined, 'joins are named only when asked');
  const res = idx.resolve(full, { joins: true });
  t.equal(res.outcome, 'match');
  t.equal(res.citizenId, 'r1', 'the best match');
  t.same(res.joins, ['r2'], 'and the other citizen it matches, to be joined');
  t.same(idx.citizenConflicts('r1', 'r2'), [], 'no hard evidence between them');
  const batch = dedupe([withNik, withFamily, full]);
  t.same([...batch.clusterOf.values()], ['r1', 'r1', 'r1'], 'the batch holds one citizen, under the first record');
  t.equal(batch.stats.joins, 1);
  t.same(batch.possible, [], 'no review pair left between records of one citizen');
  // In another order the join keeps the earlier record's id.
  const reordered = dedupe([withFamily, withNik, full]);
  t.same([...reordered.clusterOf.values()], ['r2', 'r2', 'r2']);
});

t.test('a record that matches two citizens does not join them over hard evidence', async (t) => {
  // Two women of one name and birth date with two valid NIKs of their own (not one mistyped: no
  // family field in common). A third record without a NIK matches each of them.
  const a: PersonRecord = { id: 'a', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: '1812056104790002', kk: '1812050101090011' };
  const b: PersonRecord = {
    id: 'b', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', nik: '1812056104790147', motherName: 'Paini', villageCode: '1812052004',
  };
  const c: PersonRecord = {
    id: 'c', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', kk: '1812050101090011', motherName: 'Paini', villageCode: '1812052004',
  };
  const idx = new IdentityIndex();
  idx.add('a', a);
  idx.add('b', b);
  const res = idx.resolve(c, { joins: true });
  t.equal(res.outcome, 'match');
  t.same(res.candidates.filter((d) => d.outcome === 'match').map((d) => d.citizenId).sort(), ['a', 'b'], 'it matches both');
  t.equal(res.joins, undefined, 'but joins nothing');
  t.same(idx.citizenConflicts('a', 'b').map((g) => g.guard), ['nik_conflict']);
  const batch = dedupe([a, b, c]);
  t.not(batch.clusterOf.get('a'), batch.clusterOf.get('b'), 'two people stay two');
  t.equal(batch.stats.joins, 0);

  // Another sex, and birth years a generation apart, stand between two citizens as well.
  const idx2 = new IdentityIndex();
  idx2.add('m', { id: 'm', fullName: 'Agus Salim', sex: 'M', birthDate: '1970-01-01' });
  idx2.add('f', { id: 'f', fullName: 'Agus Salim', sex: 'F', birthDate: '1970-01-01' });
  idx2.add('old', { id: 'old', fullName: 'Agus Salim', sex: 'M', birthDate: '1940-01-01' });
  t.same(idx2.citizenConflicts('m', 'f').map((g) => g.guard), ['cluster_inconsistent'], 'another sex');
  t.match(idx2.citizenConflicts('m', 'old')[0]?.reason ?? '', /generation/, 'a generation apart');
});
