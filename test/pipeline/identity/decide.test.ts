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
