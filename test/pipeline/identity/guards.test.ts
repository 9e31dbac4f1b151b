import t from 'tap';
import { dedupe, IdentityIndex, type PersonRecord } from '../../../src/pipeline/identity/index.js';

const base: Omit<PersonRecord, 'id'> = {
  fullName: 'Ahmad Fauzi',
  sex: 'M',
  birthDate: '1985-08-17',
  birthPlace: 'Panaragan',
  motherName: 'Siti Aminah',
  kk: '1812052512190007',
  villageCode: '1812012002',
  address: 'Dusun II RT 003 RW 001',
  religion: 'ISLAM',
  occupation: 'PETANI/PEKEBUN',
};

const guardsOf = (idx: IdentityIndex, r: PersonRecord) => idx.resolve(r).candidates.flatMap((c) => c.evidence.guards.map((g) => g.guard));

t.test('control: the same person written differently is linked', async (t) => {
  const recs: PersonRecord[] = [
    { id: 'a', ...base, nik: '1812051708850003' },
    { id: 'b', ...base, fullName: 'H. ACHMAD FAUZI, S.Pd', nik: null, villageCode: '1812022003', kk: '1812021001200001', address: null },
    { id: 'c', ...base, fullName: 'Achmad Fauzie', nik: '0181201200200012', birthDate: '1985-08-17' },
  ];
  const r = dedupe(recs);
  t.equal(r.clusterOf.get('b'), 'a');
  t.equal(r.clusterOf.get('c'), 'a');
});

// Issue 13 changes this rule: two valid NIKs a digit or a transposition apart under the same name,
// birth date and KK or mother are one NIK mistyped (twins differ in their given names). NIKs further
// apart, or a digit apart without the family agreeing, still go to review.
t.test('two valid NIKs a digit apart with name, date and KK or mother agreeing are one NIK mistyped', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  for (const [nik, what] of [['1812051708850004', 'one digit'], ['1812051708850030', 'two digits swapped']] as const) {
    const b: PersonRecord = { id: 'b', ...base, fullName: 'Achmad Fauzi', nik, kk: null };
    const r = dedupe([a, b]);
    t.equal(r.clusterOf.get('b'), 'a', what);
    const idx = new IdentityIndex();
    idx.add('A', a);
    const res = idx.resolve(b);
    t.equal(res.outcome, 'match', what);
    t.match(res.evidence.fields.find((f) => f.field === 'nik')?.note ?? '', /NIK typo/, `${what}: with that evidence`);
  }
  // A digit apart, but neither KK nor mother known to agree: namesakes born the same day.
  const stranger: PersonRecord = { id: 'c', ...base, nik: '1812051708850004', kk: '1812050101100002', motherName: null };
  t.not(dedupe([a, stranger]).clusterOf.get('c'), 'a');
  // A twin: another given name.
  const twin: PersonRecord = { id: 'd', ...base, fullName: 'Ahmad Fauzan', nik: '1812051708850004' };
  t.not(dedupe([a, twin]).clusterOf.get('d'), 'a');
});

t.test('in one household (the same KK) a NIK a digit off in the region is one NIK mistyped; under a mother alone it is not', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  // The province digit mistyped: 1912... is a valid NIK of its own, fitting the same date and sex.
  const sameKk: PersonRecord = { id: 'b', ...base, nik: '1912051708850003', motherName: null };
  t.equal(dedupe([a, sameKk]).clusterOf.get('b'), 'a', 'same KK, same name and date: linked');
  const idx = new IdentityIndex();
  idx.add('A', a);
  t.match(idx.resolve(sameKk).evidence.fields.find((f) => f.field === 'nik')?.note ?? '', /NIK typo/);
  const motherOnly: PersonRecord = { id: 'c', ...base, nik: '1912051708850003', kk: '1912050101100002' };
  t.not(dedupe([a, motherOnly]).clusterOf.get('c'), 'a', 'another KK, the mother alone: namesakes of two regions');
  const twin: PersonRecord = { id: 'd', ...base, fullName: 'Ahmad Fauzan', nik: '1912051708850003' };
  t.not(dedupe([a, twin]).clusterOf.get('d'), 'a', 'another given name in the household: a twin');
});

t.test('two valid different NIKs, each consistent with its birth date, are never auto-merged', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const b: PersonRecord = { id: 'b', ...base, nik: '1812051708850027' };
  const r = dedupe([a, b]);
  t.not(r.clusterOf.get('b'), 'a');
  const idx = new IdentityIndex();
  idx.add('A', a);
  const res = idx.resolve(b);
  t.equal(res.outcome, 'possible');
  t.ok(res.evidence.guards.some((g) => g.guard === 'nik_conflict'));
  t.ok(r.possible.some((p) => p.a === 'b' && p.b === 'a'), 'the pair goes to review');
});

t.test('a mistyped NIK that contradicts its own birth date does not block the link', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const b: PersonRecord = { id: 'b', ...base, nik: '1812051808850003' };
  const r = dedupe([a, b]);
  t.equal(r.clusterOf.get('b'), 'a');
});

t.test('twins (same KK and mother, same birth date, different given names) are never merged', async (t) => {
  const hasan: PersonRecord = { id: 'h', ...base, fullName: 'Muhammad Hasan', birthDate: '2010-03-04', occupation: 'PELAJAR/MAHASISWA' };
  const husein: PersonRecord = { ...hasan, id: 'u', fullName: 'Muhammad Husein' };
  const rina: PersonRecord = { id: 'ra', ...base, fullName: 'Rina Wulandari', sex: 'F', birthDate: '2012-05-06' };
  const rini: PersonRecord = { ...rina, id: 'ri', fullName: 'Rini Wulandari' };
  const r = dedupe([hasan, husein, rina, rini]);
  t.equal(r.clusterOf.size, 4);
  t.equal(new Set(r.clusterOf.values()).size, 4);
  const idx = new IdentityIndex();
  idx.add('H', hasan);
  idx.add('R', rina);
  t.not(idx.resolve(husein).outcome, 'match');
  t.ok(guardsOf(idx, husein).includes('twins'));
  t.not(idx.resolve(rini).outcome, 'match');
  t.ok(guardsOf(idx, rini).includes('twins'));
});

t.test('a child named after a parent is never merged with the parent', async (t) => {
  const father: PersonRecord = { id: 'f', ...base, fullName: 'Slamet Riyadi', birthDate: '1950-05-05', motherName: 'Tukinem' };
  const son: PersonRecord = { id: 's', ...base, fullName: 'Slamet Riyadi', birthDate: '1978-05-05', motherName: 'Sulastri' };
  const sonNoMother: PersonRecord = { ...son, id: 's2', motherName: null };
  const r = dedupe([father, son, sonNoMother]);
  t.not(r.clusterOf.get('s'), 'f');
  t.not(r.clusterOf.get('s2'), 'f');
  const idx = new IdentityIndex();
  idx.add('F', father);
  const res = idx.resolve(sonNoMother);
  t.not(res.outcome, 'match');
  t.ok(guardsOf(idx, sonNoMother).includes('parent_child') || res.outcome === 'distinct');
  // The guard fires on the NIK's birth year too when the record has no birth date.
  const fatherNik: PersonRecord = { ...father, id: 'fn', nik: '1812050505500001', motherName: null };
  const sonNik: PersonRecord = { ...son, id: 'sn', nik: '1812050505780001', birthDate: null, motherName: null };
  const idx2 = new IdentityIndex();
  idx2.add('F', fatherNik);
  t.not(idx2.resolve(sonNik).outcome, 'match');
});

t.test('clusters never chain unrelated people through a weak link', async (t) => {
  // b (no NIK) matches a; c matches b just as well but carries another valid NIK: c must not join a's cluster.
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const b: PersonRecord = { id: 'b', ...base, nik: null };
  const c: PersonRecord = { id: 'c', ...base, nik: '1812051708850029' };
  const r = dedupe([a, b, c]);
  t.equal(r.clusterOf.get('b'), 'a');
  t.not(r.clusterOf.get('c'), 'a');
  const idx = new IdentityIndex();
  idx.add('A', a);
  idx.add('A', b);
  const res = idx.resolve(c);
  t.equal(res.outcome, 'possible');
  t.ok(res.evidence.guards.some((g) => g.guard === 'nik_conflict' && g.recordId === 'a'), 'the guard names the member it fired against');
});

t.test('a new record must fit every member of a citizen, not just one', async (t) => {
  // b links to a by NIK despite a different birth date; c agrees with b's date and name but
  // contradicts a (different date and birth place), so it does not join.
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const b: PersonRecord = { id: 'b', ...base, nik: '1812051708850003', birthDate: '1985-08-17' };
  const c: PersonRecord = {
    id: 'c', fullName: 'Ahmad Fauzi', sex: 'M', birthDate: '1999-01-02', motherName: 'Rukmini', nik: null,
    villageCode: '1812092001', birthPlace: 'Sragen',
  };
  const idx = new IdentityIndex();
  idx.add('A', a);
  idx.add('A', b);
  t.not(idx.resolve(c).outcome, 'match');
});

t.test('every decision carries per-field evidence, a total and guards', async (t) => {
  const idx = new IdentityIndex();
  idx.add('A', { id: 'a', ...base, nik: '1812051708850003' });
  const res = idx.resolve({ id: 'b', ...base, nik: '1812051708850003', fullName: 'Achmad Fauzi' });
  t.equal(res.outcome, 'match');
  t.equal(res.citizenId, 'A');
  const fields = res.evidence.fields.map((f) => f.field);
  t.same(fields, [
    'nik', 'name', 'birthDate', 'sex', 'motherName', 'kk', 'village', 'birthPlace', 'address', 'locality', 'postcode', 'religion',
    'occupation',
  ]);
  for (const f of res.evidence.fields) {
    t.type(f.level, 'string');
    t.type(f.weight, 'number');
  }
  t.equal(res.evidence.fields.find((f) => f.field === 'name')?.level, 'phonetic');
  t.equal(res.evidence.fields.find((f) => f.field === 'nik')?.level, 'exact');
  const sum = res.evidence.fields.reduce((s, f) => s + f.weight, 0);
  t.ok(Math.abs(sum - res.evidence.score) < 0.1, 'the total is the sum of the field weights');
  t.same(res.evidence.guards, []);
  t.equal(res.candidates[0]?.recordId, 'a');
});

t.test('thresholds are configurable', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const b: PersonRecord = { id: 'b', ...base, nik: '1812051708850003' };
  t.equal(dedupe([a, b], { thresholds: { match: 1000, possible: 500 } }).clusterOf.get('b'), 'b');
  t.equal(dedupe([a, b]).clusterOf.get('b'), 'a');
});

t.test('in one family, a different given name and a different birth date are not linked automatically', async (t) => {
  const suparmi: PersonRecord = {
    id: 'a', ...base, fullName: 'Suparmi', sex: 'F', nik: '3205015409830002', birthDate: '1983-09-14', motherName: 'Harini Setyowati',
  };
  // Her twin, written with a mistyped birth year and an extra part.
  const twin: PersonRecord = { ...suparmi, id: 'b', fullName: 'Suwarni Parmi', nik: '0', birthDate: '1984-09-14' };
  const idx = new IdentityIndex();
  idx.add('A', suparmi);
  const res = idx.resolve(twin);
  t.not(res.outcome, 'match');
  t.ok(guardsOf(idx, twin).includes('twins'));
  const rini: PersonRecord = { id: 'ri', ...base, fullName: 'Rini Wulandari', sex: 'F', birthDate: '2013-05-06' };
  const idx2 = new IdentityIndex();
  idx2.add('R', { id: 'ra', ...base, fullName: 'Rina Wulandari', sex: 'F', birthDate: '2012-05-06' });
  t.not(idx2.resolve(rini).outcome, 'match', 'Rina / Rini a year apart');
});

t.test('in one family, the same person written short or with a mistyped NIK is not taken for a twin', async (t) => {
  const full: PersonRecord = { id: 'a', ...base, fullName: 'Sukamto Budiono', nik: '1812051708850003' };
  // The given name in full and the rest as its initial, in another register without NIK.
  const short: PersonRecord = { ...full, id: 'b', fullName: 'Sukamto B.', nik: null, villageCode: '1812022003', kk: '1812021001200001', address: null };
  t.equal(dedupe([full, short]).clusterOf.get('b'), 'a');
  // A digit of the date part mistyped (the NIK no longer fits the birth date) and a typo in the name.
  const typo: PersonRecord = { ...full, id: 'c', fullName: 'Sukamto Budiomo', nik: '1812051798850003' };
  t.equal(dedupe([full, typo]).clusterOf.get('c'), 'a');
  // Twins' NIKs differ in the serial and both fit the date: still kept apart.
  const twin: PersonRecord = { ...full, id: 'd', fullName: 'Sukamti Budiono', sex: 'M', nik: '1812051708850004' };
  t.not(dedupe([full, twin]).clusterOf.get('d'), 'a');
  // Twins sharing a common first part, one written with an initial: review, not a link.
  const m1: PersonRecord = { id: 'm1', ...base, fullName: 'Muhammad Rizal', birthDate: '2010-03-04', nik: null };
  const m2: PersonRecord = { ...m1, id: 'm2', fullName: 'Muhammad R.' };
  const idx = new IdentityIndex();
  idx.add('M', m1);
  t.not(idx.resolve(m2).outcome, 'match');
});

t.test('in one family, a letter dropped or two swapped inside a longer name is a slip, a letter changed may be a twin', async (t) => {
  const outcome = (a: PersonRecord, fullName: string, sex: 'M' | 'F' = a.sex ?? 'M') => {
    const idx = new IdentityIndex();
    idx.add('A', a);
    return idx.resolve({ ...a, id: 'q', fullName, sex, villageCode: '1812022003', address: null });
  };
  const fathur: PersonRecord = { id: 'a', ...base, fullName: 'Fathur Syukur Maulana', birthDate: '2010-03-04', nik: null };
  const dewi: PersonRecord = { ...fathur, fullName: 'Dewi Laras', sex: 'F' };
  t.equal(outcome(fathur, 'Fathur Sykur Maulana').outcome, 'match', 'a letter dropped inside a part');
  t.equal(outcome(dewi, 'Dewi Lraas').outcome, 'match', 'two letters swapped in a later part');
  // Parents name twins a letter apart (Syukur / Syakur, Laras / Luras); a twin of the other sex is
  // never one person.
  for (const [a, name, sex] of [[fathur, 'Fathur Syakur Maulana', 'M'], [fathur, 'Fathur Sykur Maulana', 'F'], [dewi, 'Dewi Luras', 'F']] as const) {
    const r = outcome(a, name, sex);
    t.not(r.outcome, 'match', name);
    if (sex === a.sex) t.ok(r.evidence.guards.some((g) => g.guard === 'twins'), `${name}: twins`);
  }
});

t.test("twins' NIKs a serial apart stay apart when one record's birth year is mistyped", async (t) => {
  const sukini: PersonRecord = {
    id: 'a', ...base, fullName: 'Sukini', sex: 'F', birthDate: '1997-12-29', nik: '1812036912980001', kk: '1812030303222614',
  };
  // Her twin: the NIK fits its own date; Sukini's record has the year wrong, so hers does not.
  const twin: PersonRecord = { ...sukini, id: 'b', fullName: 'Sutinah Sukini', birthDate: '1998-12-29', nik: '1812036912980002', kk: '1812030705220642' };
  const idx = new IdentityIndex();
  idx.add('A', sukini);
  const r = idx.resolve(twin);
  t.not(r.outcome, 'match');
  t.ok(r.evidence.guards.some((g) => g.guard === 'twins'));
  // A date digit mistyped in the NIK itself (it no longer fits the record) still says one person,
  // even with a part of the name left out in one register.
  const typo: PersonRecord = {
    ...sukini, id: 'c', fullName: 'Sukini Wulandari', birthDate: '1998-12-29', nik: '1812036912970001', kk: '1812030705220642',
  };
  const idx2 = new IdentityIndex();
  idx2.add('B', { ...sukini, birthDate: '1998-12-29', nik: '1812036912980001' });
  t.equal(idx2.resolve(typo).outcome, 'match');
});

t.test('in one family, a name with its last parts left off is the same person, not a twin', async (t) => {
  const painem: PersonRecord = { id: 'a', ...base, fullName: 'Painem Rahayu', sex: 'F', birthDate: '1973-05-21', nik: '1812036105730001' };
  const idx = new IdentityIndex();
  idx.add('A', painem);
  // Registered short in another tiyuh, no NIK, the same mother.
  const short = idx.resolve({ ...painem, id: 'b', fullName: 'PAINEM', nik: null, villageCode: '1812032010', kk: null, address: null });
  t.equal(short.outcome, 'match');
  t.notOk(short.evidence.guards.some((g) => g.guard === 'twins'));
  // What is left must say something: "Muhammad" alone may be either of twins Muhammad Hasan and Muhammad Husain.
  const hasan: PersonRecord = { id: 'h', ...base, fullName: 'Muhammad Hasan', birthDate: '2010-03-04', nik: null };
  const idx2 = new IdentityIndex();
  idx2.add('H', hasan);
  const muhammad = idx2.resolve({ ...hasan, id: 'm', fullName: 'Muhammad' });
  t.not(muhammad.outcome, 'match');
  t.ok(muhammad.evidence.guards.some((g) => g.guard === 'twins'));
  // A part left off in the middle is not a name cut short: the guard holds.
  const mid = new IdentityIndex();
  const ayu: PersonRecord = { id: 'y', ...base, fullName: 'Dinda Ayu Lestari', sex: 'F', birthDate: '2012-01-09', nik: null };
  mid.add('Y', ayu);
  t.not(mid.resolve({ ...ayu, id: 'z', fullName: 'Dinda Lestari' }).outcome, 'match');
});

t.test('in one family, a transposition or a dropped letter in a short name, or a part left off, is not a twin', async (t) => {
  const link = (a: PersonRecord, fullName: string, extra: Partial<PersonRecord> = {}) => {
    const idx = new IdentityIndex();
    idx.add('A', a);
    return idx.resolve({ ...a, id: 'q', fullName, nik: null, villageCode: '1812022003', address: null, ...extra });
  };
  const rosnah: PersonRecord = { id: 'a', ...base, fullName: 'Rosnah Dewi', sex: 'F', birthDate: '1990-03-29', nik: null };
  t.equal(link(rosnah, 'Rosanh Dewi').outcome, 'match', 'two letters traded in the first part');
  t.equal(link(rosnah, 'Rosanh').outcome, 'match', 'traded and the last part left off');
  const zain: PersonRecord = { id: 'a', ...base, fullName: 'Zainudin Mat', birthDate: '1995-03-13', nik: null };
  t.equal(link(zain, 'Zainudin Amt').outcome, 'match');
  const umi: PersonRecord = { id: 'a', ...base, fullName: 'Umi Maghfiroh', sex: 'F', birthDate: '1991-03-28', nik: null };
  t.equal(link(umi, 'Ui Maghfiroh').outcome, 'match', 'a letter dropped inside');
  // Names parents give twins stay apart: a letter changed or added at the end, another name.
  for (const name of ['Uma Maghfiroh', 'Ani Maghfiroh']) {
    const r = link(umi, name);
    t.not(r.outcome, 'match', name);
    t.ok(r.evidence.guards.some((g) => g.guard === 'twins'), `${name}: twins`);
  }
  t.not(link(umi, 'Ui Maghfiroh', { sex: 'M' }).outcome, 'match', 'another sex is not a slip');
});

t.test('an exact NIK with the sex, the name and the mother all disagreeing is not linked on the NIK alone', async (t) => {
  const a: PersonRecord = { id: 'a', ...base, nik: '1812051708850003' };
  const idx = new IdentityIndex();
  idx.add('A', a);
  const other = idx.resolve({ id: 'b', fullName: 'Sri Wahyuni', sex: 'F', nik: '1812051708850003', motherName: 'Painem', birthDate: '1985-08-17' });
  t.not(other.outcome, 'match');
  // A typo of the same name under the same NIK is one person.
  const typo = idx.resolve({ id: 'c', ...base, fullName: 'Ahmda Fauzi', nik: '1812051708850003', kk: null, villageCode: null });
  t.equal(typo.outcome, 'match');
});

t.test('a record joins a citizen when a member matches it and no member conflicts on hard evidence', async (t) => {
  // The citizen holds a badly written variant; the new record is identical to the other member.
  const a: PersonRecord = { id: 'a', ...base, fullName: 'Rosnah Dewi', sex: 'F', birthDate: '1990-03-29', nik: '1812026903900001' };
  const variant: PersonRecord = { ...a, id: 'v', fullName: 'Rosanh', nik: null, kk: null, address: null };
  const idx = new IdentityIndex();
  idx.add('A', a);
  idx.add('A', variant);
  t.equal(idx.resolve({ ...a, id: 'n', nik: null }).outcome, 'match', 'a name variant of a member is no conflict');
  // A member of another sex is a conflict, however well the best member matches.
  const idx2 = new IdentityIndex();
  idx2.add('A', a);
  idx2.add('A', { ...a, id: 'm', sex: 'M', nik: null });
  const r = idx2.resolve({ ...a, id: 'n2', nik: null });
  t.not(r.outcome, 'match');
  t.ok(r.evidence.guards.some((g) => g.guard === 'cluster_inconsistent' && g.recordId === 'm'));
});

t.test('under a mother\'s name alone a NIK a digit off is no typo on a placeholder date or with a part of the name left off', async (t) => {
  // Two men of one kecamatan "born" 1 July 1985 (the date staff type when it is unknown), serials a
  // digit apart, under one mother's name in two households.
  const a: PersonRecord = { id: 'a', ...base, birthDate: '1985-07-01', nik: '1812050107850003' };
  const placeholder: PersonRecord = { id: 'b', ...base, birthDate: '1985-07-01', nik: '1812050107850004', kk: '1812050101100002', villageCode: '1812052004' };
  t.not(dedupe([a, placeholder]).clusterOf.get('b'), 'a', 'a placeholder date');
  const idx = new IdentityIndex();
  idx.add('A', a);
  const res = idx.resolve(placeholder);
  t.ok(res.candidates.some((c) => c.evidence.guards.some((g) => g.guard === 'nik_conflict')), 'two NIKs, each a person\'s');
  t.equal(dedupe([a, { ...placeholder, kk: a.kk }]).clusterOf.get('b'), 'a', 'in one household the placeholder date is no bar');
  // A name a part longer under the mother alone: namesakes; in one household, one person.
  const long: PersonRecord = { id: 'c', ...base, fullName: 'Ahmad Fauzi Rahman', nik: '1812051708850003' };
  const short: PersonRecord = { id: 'd', ...base, nik: '1812051708850004', kk: '1812050101100002', villageCode: '1812052004' };
  t.not(dedupe([long, short]).clusterOf.get('d'), 'c', 'a part left off, the mother alone');
  t.equal(dedupe([long, { ...short, kk: long.kk, villageCode: long.villageCode }]).clusterOf.get('d'), 'c', 'a part left off in one household');
  // The whole name on a real date under the mother alone stays one NIK mistyped.
  t.equal(dedupe([{ ...long, fullName: base.fullName }, short]).clusterOf.get('d'), 'c', 'the whole name, a real date');
});

t.test('in one family, born the same day, a close name under another sex is a twin, not the same person', async (t) => {
  const putra: PersonRecord = { id: 'a', ...base, fullName: 'Andika Putra', birthDate: '2011-04-09', nik: '1812050904110001' };
  const putri: PersonRecord = { ...putra, id: 'b', fullName: 'Andika Putri', sex: 'F', nik: null };
  const idx = new IdentityIndex();
  idx.add('A', putra);
  const r = idx.resolve(putri);
  t.not(r.outcome, 'match');
  t.ok(r.candidates.some((c) => c.evidence.guards.some((g) => g.guard === 'twins')), 'the twins guard');
  t.not(dedupe([putra, putri]).clusterOf.get('b'), 'a');
  // The same sex: one person written with a slip. The same name exactly under another sex: the sex mistyped.
  t.equal(dedupe([putra, { ...putri, sex: 'M' }]).clusterOf.get('b'), 'a');
  t.equal(dedupe([putra, { ...putri, fullName: putra.fullName }]).clusterOf.get('b'), 'a');
});
