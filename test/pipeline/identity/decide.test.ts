import t from 'tap';
import { dedupe, IdentityIndex, type PersonRecord } from '../../../src/pipeline/identity/index.js';

// A NIK mistyped on registration that landed on another woman's NIK born the same day: the NIK
// carries the date, so the agreeing dates prove nothing more than the NIK does.
const siti: PersonRecord = {
  id: 's', fullName: 'Siti Rina Widayati', nik: '1812054103810001', sex: 'F', birthDate: '1981-03-01', motherName: 'Suwarni',
  kk: '1812030410085974', villageCode: '1812032001', religion: 'ISLAM', occupation: 'PETANI/PEKEBUN', birthPlace: 'Panaragan',
};
const other: PersonRecord = {
  id: 'o', fullName: 'Fakimah Aini', nik: '1812054103810001', sex: 'F', birthDate: '1981-03-01', motherName: null,
  kk: '1812040610249812', villageCode: '1812042013', religion: 'ISLAM', occupation: 'PETANI/PEKEBUN', birthPlace: 'Panaragan',
};

const outcomeOf = (a: PersonRecord, b: PersonRecord) => {
  const idx = new IdentityIndex();
  idx.add('A', a);
  return idx.resolve(b);
};

t.test('an exact NIK under an unrelated name in another village goes to review, not a link', async (t) => {
  const r = outcomeOf(siti, other);
  t.ok(r.score >= 16, `the score alone would link (${r.score.toFixed(1)})`);
  t.equal(r.outcome, 'possible');
  t.not(dedupe([siti, other]).clusterOf.get('o'), 's');
});

t.test('an exact NIK under a name written badly is still one person', async (t) => {
  // Same first letter, or a part in common: a typo in a short name, a part dropped and another added.
  t.equal(outcomeOf(siti, { ...other, fullName: 'Sti' }).outcome, 'match');
  t.equal(outcomeOf(siti, { ...other, fullName: 'Rina Sulastri' }).outcome, 'match');
});

t.test('an exact NIK under an unrelated name is one person when the mother or the household agrees', async (t) => {
  t.equal(outcomeOf(siti, { ...other, motherName: 'Suwarni' }).outcome, 'match');
  t.equal(outcomeOf(siti, { ...other, kk: siti.kk, villageCode: siti.villageCode }).outcome, 'match');
});

t.test('a placeholder birth date both records share counts as the same date under an exact NIK', async (t) => {
  const a: PersonRecord = { ...siti, birthDate: '1981-01-01', nik: '1812054101810001' };
  const b: PersonRecord = { ...other, birthDate: '1981-01-01', nik: '1812054101810001' };
  t.equal(outcomeOf(a, { ...b, fullName: 'Sti' }).outcome, 'match', 'a name written badly');
  t.equal(outcomeOf(a, b).outcome, 'possible', 'an unrelated name');
  t.equal(outcomeOf(a, { ...b, fullName: 'Sti', birthDate: '1982-01-01' }).outcome, 'possible', 'dates that differ');
});

t.test('a NIK mistyped outside its serial vouches for a name with two slips on the same birth date', async (t) => {
  const a: PersonRecord = {
    id: 'a', fullName: 'Latifah Zahra', nik: '1812074605740001', sex: 'F', birthDate: '1974-05-06', motherName: null,
    kk: '1812071507216110', villageCode: '1812072006', religion: 'ISLAM', birthPlace: 'Panaragan',
  };
  // The kabupaten digits mistyped: the NIK no longer fits a region, so it is this NIK written wrong.
  const b: PersonRecord = { ...a, id: 'b', fullName: 'Latfiah Zaha', nik: '1862074605740001', kk: '1812061301106957', villageCode: '1812062007' };
  t.equal(outcomeOf(a, b).outcome, 'match');
});

t.test('an exact NIK under a name written badly, one date an admin placeholder in the NIK\'s year: one person', async (t) => {
  const rizky: PersonRecord = {
    id: 'r', fullName: 'Rizky', nik: '1812010808220001', sex: 'M', birthDate: '2022-08-08', motherName: 'Nayla Ramadhani',
    kk: '1812090405326681', villageCode: '1812092003', religion: 'ISLAM', birthPlace: 'Panaragan',
  };
  // Registered again in another tiyuh: the name garbled, the date unknown (1 January of the year).
  const again: PersonRecord = { ...rizky, id: 'g', fullName: 'Rziyk', birthDate: '2022-01-01', motherName: null, kk: '1812041206345690', villageCode: '1812042012' };
  t.equal(outcomeOf(rizky, again).outcome, 'match');
  // A real other date is still someone else's NIK (a sibling's, a parent's).
  t.not(outcomeOf(rizky, { ...again, birthDate: '2022-05-17' }).outcome, 'match');
  // A placeholder that the NIK does not vouch for (neither record's date fits it) decides nothing.
  t.not(outcomeOf({ ...rizky, birthDate: '2022-08-09' }, again).outcome, 'match');
  // Placeholders a year apart are two unknown dates, not the NIK's year.
  t.not(outcomeOf({ ...rizky, birthDate: '2021-01-01', nik: '1812010101210001' }, { ...again, nik: '1812010101210001' }).outcome, 'match');
});

t.test('an exact NIK under a name written badly, the other date its year one off or day and month swapped: one person', async (t) => {
  const wawan: PersonRecord = {
    id: 'w', fullName: 'Wawan', nik: '1812011602790002', sex: 'M', birthDate: '1979-02-16', motherName: 'Umi Herawati',
    kk: '1812052311186399', villageCode: '1812052002', religion: 'ISLAM', birthPlace: 'Panaragan',
  };
  const again: PersonRecord = { ...wawan, id: 'g', fullName: 'Wwaan', birthDate: '1980-02-16', kk: '1812010401147449', villageCode: '1812012015' };
  t.equal(outcomeOf(wawan, again).outcome, 'match', 'the year one off');
  const swapped: PersonRecord = { ...wawan, id: 's', birthDate: '1979-04-03', nik: '1812010304790002' };
  t.equal(outcomeOf(swapped, { ...again, nik: swapped.nik, birthDate: '1979-03-04' }).outcome, 'match', 'day and month swapped');
  // When neither record's date fits the NIK, the NIK may be someone else's: review.
  t.not(outcomeOf({ ...wawan, birthDate: '1979-02-17' }, { ...again, birthDate: '1980-02-17' }).outcome, 'match');
});

t.test('records without any family or state field are decided by their score alone', async (t) => {
  // FEBRL-like: a surname replaced, the date and the address agreeing. The name-and-date rule is
  // for households (siblings share KK and address); here there is no KK, NIK, mother or village.
  const a: PersonRecord = {
    id: 'a', fullName: 'angus mcgregor', birthDate: '1917-04-09', address: '1 rosetta village', locality: 'chelsea heights wa', postcode: '3020',
  };
  const b: PersonRecord = { ...a, id: 'b', fullName: 'angus tiller', locality: 'chelsea hieghts wa' };
  // m/u near what `dedup --learn` finds in FEBRL4: an address, a suburb and a postcode are rare to share there.
  const learned = {
    fields: {
      address: { similar: { m: 0.4, u: 0.00004 } }, locality: { agree: { m: 0.93, u: 0.001 } }, postcode: { same: { m: 0.84, u: 0.0012 } },
    },
  };
  const outcomeOf = (x: PersonRecord, y: PersonRecord) => {
    const idx = new IdentityIndex(learned);
    idx.add('A', x);
    return idx.resolve(y);
  };
  const r = outcomeOf(a, b);
  t.ok(r.score >= 16, `the score links (${r.score.toFixed(1)})`);
  t.equal(r.outcome, 'match');
  // The same pair in a village of the kabupaten keeps the rule: another name under one roof.
  t.equal(outcomeOf({ ...a, villageCode: '1812012002' }, { ...b, villageCode: '1812012002' }).outcome, 'possible');
  // A date decades off under the same name at the same address is no parent there, but the score decides.
  const old = outcomeOf(a, { ...a, id: 'c', birthDate: '1966-03-06' });
  t.same(old.evidence.guards, [], 'no parent_child guard without a family field');
});

t.test('siblings in one family under unrelated names, or a brother and a sister born the same day, open no case', async (t) => {
  const home = { kk: '1812011310171523', motherName: 'Suwarni', villageCode: '1812012002', address: 'Dusun Sido Mulyo RT 001 RW 005' };
  const rina: PersonRecord = { id: 'r', fullName: 'Rina Rahayu', sex: 'F', birthDate: '2014-01-10', ...home };
  t.equal(outcomeOf(rina, { id: 'l', fullName: 'Amelia Lestari', sex: 'F', birthDate: '2013-11-20', ...home }).outcome, 'distinct');
  t.equal(outcomeOf(rina, { id: 'g', fullName: 'Galih Rizky', sex: 'M', birthDate: '2014-01-10', ...home }).outcome, 'distinct');
  // A name sharing a part stays for staff: it may be one written beyond recognition.
  t.equal(outcomeOf(rina, { id: 'x', fullName: 'Rina Puspita', sex: 'F', birthDate: '2014-01-10', ...home }).outcome, 'possible');
});

t.test('two valid NIKs a region digit apart under different names on one birth date open no case', async (t) => {
  const saleh: PersonRecord = {
    id: 's', fullName: 'Saleh', nik: '1805090309900001', sex: 'M', birthDate: '1990-09-03', kk: '1812092205140795',
    villageCode: '1812092001', address: 'Dusun V RT 007 RW 002',
  };
  const other: PersonRecord = {
    id: 'm', fullName: 'Muhammad Saleh', nik: '1805050309900001', sex: 'M', birthDate: '1990-09-03', kk: '1812051803071830',
    villageCode: '1812052001', address: 'Dusun II RT 011 RW 001',
  };
  t.equal(outcomeOf(saleh, other).outcome, 'distinct');
  // The same name under those NIKs is left to staff (a typo of the region under one person).
  t.equal(outcomeOf(saleh, { ...other, fullName: 'Saleh' }).outcome, 'possible');
});

t.test('a name with one part replaced and a distinctive part kept compares as one_part, not different', async (t) => {
  const { compareNames, nameInfo } = await import('../../../src/pipeline/identity/index.js');
  t.equal(compareNames(nameInfo('callum mahon'), nameInfo('tarau mahon')), 'one_part');
  t.not(compareNames(nameInfo('Siti Aminah'), nameInfo('Siti Rahayu')), 'one_part', 'a common part kept says nothing');
  t.equal(compareNames(nameInfo('Budi'), nameInfo('Agus')), 'different');
});

t.test('namesakes under birth dates that differ outright, one without NIK, apart in KK and address, open no case', async (t) => {
  const a: PersonRecord = {
    id: 'a', fullName: 'I Wayan Parwata', nik: '1812052112810001', sex: 'M', birthDate: '1981-12-21', motherName: 'Ni Made Sari',
    kk: '1812051710086644', villageCode: '1812052001', address: 'Dusun IV RT 011 RW 001',
  };
  const b: PersonRecord = { ...a, id: 'b', nik: null, birthDate: '1984-05-31', kk: '1812082404069268', address: 'Dusun I RT 003 RW 004' };
  const r = outcomeOf(a, b);
  t.ok(r.candidates.length === 0 || r.candidates.every((c) => c.outcome === 'distinct'), `no case (score ${r.score.toFixed(1)})`);
  const idx = new IdentityIndex();
  idx.add('A', a);
  const same = idx.resolve({ ...b, kk: a.kk, address: a.address });
  t.equal(same.outcome, 'possible', 'the same household keeps the case: a date mistyped');
});

// Two men born the same day in one kecamatan, each with his own valid NIK fitting his date and sex.
const fauzi: PersonRecord = {
  id: 'f', fullName: 'Ahmad Fauzi', nik: '1812051708850003', sex: 'M', birthDate: '1985-08-17', motherName: 'Siti Aminah',
  kk: '1812052512190007', villageCode: '1812052001', address: 'Dusun II RT 003 RW 001', religion: 'ISLAM', birthPlace: 'Panaragan',
};
const namesake: PersonRecord = {
  ...fauzi, id: 'n', nik: '1812051708850004', motherName: 'Ponirah', kk: '1812050307110042', villageCode: '1812052004',
  address: 'Dusun IV RT 012 RW 004',
};

t.test('two valid NIKs a typo apart, nothing of a household shared, and the mothers differ: two people, no case', async (t) => {
  const r = outcomeOf(fauzi, namesake);
  t.equal(r.outcome, 'distinct');
  t.ok(r.candidates.some((c) => c.evidence.guards.some((g) => g.guard === 'nik_conflict')), 'the pair was scored and guarded');
  // Without the mothers' names the same name on NIKs a typo apart stays for staff: often one NIK mistyped.
  t.equal(outcomeOf({ ...fauzi, motherName: null }, { ...namesake, motherName: null }).outcome, 'possible');
  // Nor when the address says they may live in one place.
  t.equal(outcomeOf(fauzi, { ...namesake, address: fauzi.address, villageCode: fauzi.villageCode }).outcome, 'possible');
});

t.test('two valid NIKs under another given name with no household in common: two people, no case', async (t) => {
  const noMothers = { motherName: null };
  const r = outcomeOf({ ...fauzi, ...noMothers }, { ...namesake, ...noMothers, fullName: 'Ahmad Rifai' });
  t.equal(r.outcome, 'distinct');
  // A slip of the same name ("Fauzan") is not another name: the case stays.
  t.equal(outcomeOf({ ...fauzi, ...noMothers }, { ...namesake, ...noMothers, fullName: 'Ahmad Fauzan' }).outcome, 'possible');
  t.ok(r.candidates.length > 0, 'the pair was scored');
});

t.test('two valid NIKs more than a typo apart under one name and date, no household in common: two people, no case', async (t) => {
  const other: PersonRecord = { ...namesake, nik: '1812091708850117', motherName: null };
  const r = outcomeOf({ ...fauzi, motherName: null }, other);
  t.equal(r.outcome, 'distinct');
  t.ok(r.candidates.length > 0, 'the pair was scored');
  t.equal(outcomeOf(fauzi, { ...other, motherName: fauzi.motherName }).outcome, 'possible', 'the same mother: staff decide');
});

t.test('siblings: another given name under a birth date that differs in two parts, in one family, open no case', async (t) => {
  const home = {
    kk: fauzi.kk, motherName: 'Suwarni', villageCode: fauzi.villageCode, address: fauzi.address, religion: 'ISLAM', birthPlace: 'Panaragan',
    occupation: 'PELAJAR/MAHASISWA',
  };
  const brother: PersonRecord = { id: 'a', fullName: 'Ahmad Fauzi', sex: 'M', birthDate: '2005-08-17', ...home };
  const r = outcomeOf(brother, { id: 'b', fullName: 'Ahmad Rizal', sex: 'M', birthDate: '2005-03-02', ...home });
  t.equal(r.outcome, 'distinct');
  t.ok(r.score >= 11, `the pair reaches review level by its score (${r.score.toFixed(1)})`);
  // One part of the date off (a typo of the month) keeps the case, as does a slip of the name or a part left off.
  t.equal(outcomeOf(brother, { id: 'c', fullName: 'Ahmad Rizal', sex: 'M', birthDate: '2005-08-02', ...home }).outcome, 'possible');
  t.equal(outcomeOf(brother, { id: 'd', fullName: 'Ahmad Fauiz', sex: 'M', birthDate: '2005-03-02', ...home }).outcome, 'possible');
  t.equal(outcomeOf(brother, { id: 'e', fullName: 'Fauzi', sex: 'M', birthDate: '2005-03-02', ...home }).outcome, 'possible');
});

t.test('the same name a generation apart under a common mother\'s name opens no case; a rare one or a year typo does', async (t) => {
  const { NameFrequencies, prepareRecord } = await import('../../../src/pipeline/identity/index.js');
  const father: PersonRecord = {
    id: 'f', fullName: 'Slamet Riyadi', sex: 'M', birthDate: '1950-05-05', motherName: 'Siti Aminah', villageCode: '1812052001', religion: 'ISLAM',
    birthPlace: 'Panaragan',
  };
  // The son's record has no birth date; his NIK says 1978.
  const son: PersonRecord = { ...father, id: 's', birthDate: null, nik: '1812051203780002', villageCode: '1812032004' };
  // A kabupaten where 200 of 3,000 mothers are called Siti Aminah, and one Tukinem Wulansari.
  const key = (m: string) => (prepareRecord({ id: 'x', fullName: 'x', motherName: m }).mother as { phonJoined: string }).phonJoined;
  const frequencies = new NameFrequencies();
  for (let i = 0; i < 3000; i++) {
    frequencies.add(`name${i}`);
    frequencies.countMother(i < 200 ? key('Siti Aminah') : `mother${i}`);
  }
  frequencies.countMother(key('Tukinem Wulansari'));
  const resolve = (a: PersonRecord, b: PersonRecord) => {
    const idx = new IdentityIndex(undefined, { frequencies });
    idx.add('A', a);
    return idx.resolve(b);
  };
  const common = resolve(father, son);
  t.equal(common.outcome, 'distinct');
  t.ok(common.candidates.some((c) => c.evidence.guards.some((g) => g.guard === 'parent_child')), 'the pair was scored and the parent guard fired');
  const rare = { motherName: 'Tukinem Wulansari' };
  t.equal(resolve({ ...father, ...rare }, { ...son, ...rare }).outcome, 'possible', 'a rare mother\'s name agreeing: staff decide');
  // Day and month kept, the year a generation off: perhaps the year written wrong (1950 / 1978).
  t.equal(resolve(father, { ...son, nik: null, birthDate: '1978-05-05' }).outcome, 'possible');
});
