import t from 'tap';
import { BlockIndex, IdentityIndex, type PersonRecord } from '../../../src/pipeline/identity/index.js';

const walk = (b: BlockIndex, key: number): number[] => {
  const out: number[] = [];
  for (let e = b.first(key); e !== -1; e = b.next(e)) out.push(b.recOf(e));
  return out;
};

t.test('blocks hold the same records, newest first, before and after compaction', async (t) => {
  const b = new BlockIndex(5, 16);
  const want = new Map<number, number[]>();
  for (let rec = 0; rec < 200_000; rec++) {
    const key = (rec * 7919) % 50_000;
    b.add(key, rec);
    if (key === 123 || key === 777) want.set(key, [rec, ...(want.get(key) ?? [])]);
  }
  const before = [walk(b, 123), walk(b, 777), walk(b, 1)];
  b.compact();
  t.same([walk(b, 123), walk(b, 777), walk(b, 1)], before);
  t.same(walk(b, 123), want.get(123));
  b.add(123, 200_001);
  t.equal(walk(b, 123)[0], 200_001, 'a record added after compaction heads its block');
  for (let rec = 0; rec < 7; rec++) b.add(999_999, rec);
  b.compact();
  t.same(walk(b, 999_999), [], 'an oversized block stays unusable after compaction');
  b.add(999_999, 50);
  t.same(walk(b, 999_999), []);
});

t.test('blocks of one record (kept in the slot), of a few and oversized ones agree with a plain map', async (t) => {
  const max = 4;
  const b = new BlockIndex(max, 16, 16);
  const model = new Map<number, number[]>();
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const check = (label: string) => {
    let bad = 0;
    for (const [key, recs] of model) {
      const want = recs.length > max ? [] : [...recs].reverse();
      if (JSON.stringify(walk(b, key)) !== JSON.stringify(want)) bad++;
    }
    t.equal(bad, 0, `${label}: every block walks to its records, newest first (${model.size} blocks)`);
  };
  for (let rec = 0; rec < 150_000; rec++) {
    // Mostly keys of their own, some shared by a few records, a few by many (oversized).
    const r = rand();
    const key = r < 0.7 ? 1_000_000 + rec : r < 0.95 ? Math.floor(rand() * 20_000) : Math.floor(rand() * 50);
    for (let again = 0; again < (rec % 5 === 0 ? 2 : 1); again++) {
      b.add(key, rec);
      const recs = model.get(key) ?? [];
      if (recs[recs.length - 1] !== rec && recs.length <= max) recs.push(rec);
      model.set(key, recs);
    }
  }
  check('after the adds');
  b.compact();
  check('after compaction');
  t.same(walk(b, 7_777_777), [], 'a key never added has no block');
  const s = b.stats();
  t.equal(s.blocks, model.size);
  t.equal(s.oversizedBlocks, [...model.values()].filter((r) => r.length > max).length);
  const lone = new BlockIndex(max);
  lone.add(5, 0);
  t.same(walk(lone, 5), [0], 'record number 0 alone in a block');
  lone.add(5, 0);
  t.same(walk(lone, 5), [0], 'the same record twice in a row is kept once');
  lone.add(5, 9);
  t.same(walk(lone, 5), [9, 0], 'a second record turns the slot into a list');
  // A cap past what a byte or two hold: counts must not wrap (a wrapped count reads as an empty slot).
  for (const cap of [300, 70_000]) {
    const big = new BlockIndex(cap);
    for (let rec = 0; rec <= cap; rec++) big.add(77, rec);
    t.same(walk(big, 77), [], `a block of ${cap + 1} records under a cap of ${cap} is oversized`);
    t.same(big.stats(), { ...big.stats(), blocks: 1, oversizedBlocks: 1 });
  }
});

/** Record ids the index compares a query with (every candidate that reaches review level is reported). */
const candidatesOf = (idx: IdentityIndex, q: PersonRecord) => idx.resolve(q).candidates.map((c) => c.recordId);

t.test('a record without birth date or NIK is found by name and mother, or name and KK, in another village', async (t) => {
  const a: PersonRecord = {
    id: 'a', fullName: 'Khoirul Muhlis', nik: '1812051401900001', sex: 'M', birthDate: '1990-01-14', motherName: 'Lailatul',
    kk: '1812052003246622', villageCode: '1812052004', religion: 'ISLAM',
  };
  const idx = new IdentityIndex();
  idx.add('A', a);
  const byMother: PersonRecord = {
    id: 'm', fullName: 'KHOIRUL MUHLIS', nik: null, sex: 'M', birthDate: null, motherName: 'Lailatul',
    kk: '1812032102163522', villageCode: '1812032001', religion: 'ISLAM',
  };
  const r = idx.resolve(byMother);
  t.same(r.candidates.map((c) => c.recordId), ['a']);
  t.equal(r.outcome, 'match', 'same name and mother, nothing contradicting');
  // A village split (pemekaran) gives the household a new village code before a new KK.
  const byKk: PersonRecord = { ...byMother, id: 'k', motherName: null, kk: a.kk, villageCode: '1812052021' };
  t.same(candidatesOf(idx, byKk), ['a']);
});

t.test('a record without sex meets a record of the same birth date with a typo in the name', async (t) => {
  const a: PersonRecord = { id: 'a', fullName: 'I Wayan Suweca', nik: null, sex: null, birthDate: '1943-08-01', villageCode: '1812012006' };
  const idx = new IdentityIndex();
  idx.add('A', a);
  const q: PersonRecord = { id: 'q', fullName: 'I Wayan Suwca', nik: null, sex: 'M', birthDate: '1943-08-01', villageCode: '1812092002' };
  t.same(candidatesOf(idx, q), ['a']);
});

t.test('a mover with a typo in the name and the birth year wrong is found by mother and birthday', async (t) => {
  const a: PersonRecord = {
    id: 'a', fullName: 'Dadang Nugraha Sutisna', nik: '0181202200900063', sex: 'M', birthDate: '2000-03-18', motherName: 'Titin Rukmini',
    kk: '1812020912259072', villageCode: '1812022009', religion: 'ISLAM',
  };
  const idx = new IdentityIndex();
  idx.add('A', a);
  const moved: PersonRecord = { ...a, id: 'b', fullName: 'Dadang Nugraha Sutikna', nik: '1812021803000002', birthDate: '1999-03-18', kk: '1812060701259581', villageCode: '1812062002' };
  const r = idx.resolve(moved);
  t.same(candidatesOf(idx, moved), ['a']);
  t.equal(r.outcome, 'match');
  // Another mother: no key left in common, no candidate.
  t.same(candidatesOf(idx, { ...moved, id: 'c', motherName: 'Sumarni' }), []);
});

t.test('a mother\'s name many mothers share weighs less when it agrees', async (t) => {
  const { NameFrequencies, scorePair } = await import('../../../src/pipeline/identity/score.js');
  const { defaultIdentityConfig, weightTable } = await import('../../../src/pipeline/identity/config.js');
  const { nameInfo, prepareRecord } = await import('../../../src/pipeline/identity/index.js');
  const f = new NameFrequencies();
  const common = nameInfo('Siti Aminah').phonJoined;
  const rare = nameInfo('Rusnawati Hartati').phonJoined;
  for (let i = 0; i < 20_000; i++) f.countMother(i < 2_000 ? common : `m${i}`);
  f.countMother(rare);
  const ctx = { config: defaultIdentityConfig, weights: weightTable(defaultIdentityConfig), frequencies: f };
  const rec: PersonRecord = { id: 'a', fullName: 'Rohim Zainudin', sex: 'M', birthDate: '1969-01-10', villageCode: '1812052013' };
  const weightOf = (mother: string) => {
    const sp = scorePair(prepareRecord({ ...rec, motherName: mother }), prepareRecord({ ...rec, id: 'b', motherName: mother }), ctx);
    return sp.motherWeight;
  };
  const base = ctx.weights.motherName.agree!;
  t.equal(weightOf('Rusnawati Hartati'), base, 'a rare name keeps the weight of agreement');
  t.ok(weightOf('Siti Aminah') < base - 2, `a name one mother in ten has weighs less (${weightOf('Siti Aminah').toFixed(2)} < ${base.toFixed(2)})`);
  const sp = scorePair(prepareRecord({ ...rec, motherName: 'Siti Aminah' }), prepareRecord({ ...rec, id: 'b', motherName: 'SITI AMINAH' }), ctx);
  const { evidenceOf } = await import('../../../src/pipeline/identity/score.js');
  const ev = evidenceOf(prepareRecord({ ...rec, motherName: 'Siti Aminah' }), prepareRecord({ ...rec, id: 'b', motherName: 'SITI AMINAH' }), sp, [], ctx.weights);
  t.match(ev.fields.find((x) => x.field === 'motherName')?.note, /shared by 2000 of 20001/);
});
