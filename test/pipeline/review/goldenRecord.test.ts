import t from 'tap';
import { goldenRecord, goldenRecordOfOne, stripTitles, survivorship, type SourcePerson } from '../../../src/pipeline/review/index.js';
import { generatePopulation } from '../../../src/synth/population.js';
import { makeNik } from '../../helpers/fixtures.js';

const base: SourcePerson = {
  nik: null, kk: null, fullName: 'Ali', sex: 'M', birthDate: '1980-03-14', birthPlace: 'Panaragan', motherName: null,
  address: null, villageCode: '1812012002', seenAt: '2026-01-01T00:00:00Z',
};
const rec = (over: Partial<SourcePerson>): SourcePerson => ({ ...base, ...over });

t.test('titles and degrees are stripped, the words kept keep their casing', async (t) => {
  t.equal(stripTitles('H. Moh. Ali'), 'Moh. Ali');
  t.equal(stripTitles('Hj. SITI AMINAH, S.Pd.'), 'SITI AMINAH');
  t.equal(stripTitles('Prof. Dr. Ir. H. Hasan Basri'), 'Hasan Basri');
  t.equal(stripTitles('Heru Purnomo, S.Pd., M.Pd'), 'Heru Purnomo');
  t.equal(stripTitles('Budi Santoso S.Pd.I'), 'Budi Santoso');
  t.equal(stripTitles('Ahmad bin Salim'), 'Ahmad bin Salim', 'the father\'s name is part of the name');
  t.equal(stripTitles('  Dewi   Lestari '), 'Dewi Lestari');
  t.equal(stripTitles('Haji'), 'Haji', 'a name that is only a title word stays');
});

t.test('plainly written names (letters and spaces) lose their titles and degrees too, and keep every other word', async (t) => {
  t.equal(stripTitles('Haji Ahmad Dahlan'), 'Ahmad Dahlan');
  t.equal(stripTitles('Budi Santoso SPd'), 'Budi Santoso');
  t.equal(stripTitles('Hj Siti binti Ahmad'), 'Siti binti Ahmad');
  t.equal(stripTitles('Ni Luh Putu Ayu'), 'Putu Ayu');
  t.equal(stripTitles('SITI AMINAH'), 'SITI AMINAH');
  t.equal(stripTitles('Muhammad Muhammad Ali'), 'Muhammad Muhammad Ali', 'a repeated part is a part');
  t.equal(stripTitles('Budi alias Joko'), 'Budi alias Joko');
});

t.test('a valid NIK consistent with the birth date wins over an inconsistent one, and brings its birth date and sex', async (t) => {
  const consistent = makeNik('181201', '1980-03-14', 'M', 12);
  const inconsistent = makeNik('181201', '1981-07-02', 'M', 12);
  const g = goldenRecord([
    rec({ nik: consistent, birthDate: '1980-03-14', seenAt: '2025-01-01T00:00:00Z' }),
    // More recent, and twice: still loses, its NIK disagrees with its own birth date.
    rec({ nik: inconsistent, birthDate: '1980-03-14', seenAt: '2026-05-01T00:00:00Z' }),
    rec({ nik: inconsistent, birthDate: '1980-03-14', seenAt: '2026-06-01T00:00:00Z' }),
  ])!;
  t.equal(g.nik, consistent);
  t.equal(g.from.nik, 0);
  t.equal(g.birthDate, '1980-03-14');

  const woman = makeNik('181205', '1990-11-20', 'F', 3);
  const g2 = goldenRecord([
    rec({ nik: '1812011311900003', sex: 'M', birthDate: '1990-11-20', seenAt: '2026-09-01T00:00:00Z' }),
    rec({ nik: woman, sex: 'F', birthDate: '1990-11-20', seenAt: '2020-01-01T00:00:00Z' }),
    rec({ nik: null, sex: 'M', birthDate: '1990-11-21', seenAt: '2026-10-01T00:00:00Z' }),
  ])!;
  t.equal(g2.nik, woman, 'the NIK whose embedded date matches wins');
  t.equal(g2.sex, 'F', 'sex from the record whose NIK won, although most records say M');
  t.equal(g2.birthDate, '1990-11-20');
  t.equal(g2.from.sex, 1);
});

t.test('without a valid NIK: a temporary one is kept, birth date and sex are the most frequent', async (t) => {
  const g = goldenRecord([
    rec({ nik: '0181201200200012', birthDate: '1970-01-05', sex: 'F', seenAt: '2026-01-01T00:00:00Z' }),
    rec({ nik: '1234', birthDate: '1970-05-01', sex: 'F', seenAt: '2026-03-01T00:00:00Z' }),
    rec({ nik: null, birthDate: '1970-01-05', sex: 'M', seenAt: '2026-02-01T00:00:00Z' }),
  ])!;
  t.equal(g.nik, '0181201200200012');
  t.equal(g.birthDate, '1970-01-05', 'two records against one');
  t.equal(g.sex, 'F');
  const none = goldenRecord([rec({ nik: '9999999999999999' })])!;
  t.equal(none.nik, null, 'an invalid NIK never becomes the citizen\'s');
});

t.test('the most recent address wins, with its own village', async (t) => {
  const g = goldenRecord([
    rec({ address: 'Jl. Lama No. 1', villageCode: '1812012002', seenAt: '2024-01-01T00:00:00Z' }),
    rec({ address: 'Jl. Baru No. 9', villageCode: '1812052006', seenAt: '2026-08-01T00:00:00Z' }),
    rec({ address: null, villageCode: '1812032001', seenAt: '2026-09-01T00:00:00Z' }),
    rec({ address: 'Jl. Tengah No. 5', villageCode: '1812012002', seenAt: '2025-01-01T00:00:00Z' }),
  ])!;
  t.equal(g.address, 'Jl. Baru No. 9');
  t.equal(g.villageCode, '1812052006', 'the village of the chosen address, not of a newer record without one');
  t.equal(g.from.address, 1);
});

t.test('the fullest name without titles wins, as written', async (t) => {
  const g = goldenRecord([
    rec({ fullName: 'H. Moh. Ali', seenAt: '2026-09-01T00:00:00Z' }),
    rec({ fullName: 'Muhammad Ali Akbar', seenAt: '2025-01-01T00:00:00Z' }),
    rec({ fullName: 'ALI AKBAR', seenAt: '2026-10-01T00:00:00Z' }),
  ])!;
  t.equal(g.fullName, 'Muhammad Ali Akbar');
  t.equal(g.from.fullName, 1);
  const spelled = goldenRecord([rec({ fullName: 'Hj. Moh. Siti' }), rec({ fullName: 'Muhammad Siti' })])!;
  t.equal(spelled.fullName, 'Muhammad Siti', 'same name parts: the written-out form is fuller than the abbreviation');
  const patronym = goldenRecord([rec({ fullName: 'Ahmad Salim', seenAt: '2026-09-01T00:00:00Z' }), rec({ fullName: 'Ahmad bin Salim Umar', seenAt: '2020-01-01T00:00:00Z' })])!;
  t.equal(patronym.fullName, 'Ahmad bin Salim Umar', 'the father\'s name after bin counts towards the full name');
  const titled = goldenRecord([rec({ fullName: 'Drs. H. SUPARNO, M.Pd' })])!;
  t.equal(titled.fullName, 'SUPARNO');
});

t.test('KK: the most recent valid one; mother\'s name: the fullest', async (t) => {
  const g = goldenRecord([
    rec({ kk: '1812010105150001', motherName: 'Siti', seenAt: '2024-01-01T00:00:00Z' }),
    rec({ kk: '1812050112200007', motherName: 'Hj. Siti Aminah', seenAt: '2026-01-01T00:00:00Z' }),
    rec({ kk: '1812', motherName: null, seenAt: '2026-12-01T00:00:00Z' }),
  ])!;
  t.equal(g.kk, '1812050112200007');
  t.equal(g.motherName, 'Siti Aminah');
});

t.test('no records, no golden record', async (t) => {
  t.equal(goldenRecord([]), null);
});

t.test('a citizen of one record: the one-record path gives what the general rules give', async (t) => {
  const { records } = generatePopulation({ records: 3000, seed: 27 });
  const nik = makeNik('181201', '1980-03-14', 'M', 12);
  const edges: SourcePerson[] = [
    rec({}),
    rec({ nik, sex: ' ' as never, birthDate: '  ' }), // blank to the eye, from the owner of a valid NIK: kept
    rec({ nik: null, sex: ' ' as never, birthDate: '  ', birthPlace: '   ', address: '  ' }), // no valid NIK: dropped
    rec({ nik: '01812012002000001', sex: ' ' as never }), // a temporary number: not trusted
    rec({ nik: '0000000000000000', kk: '0000000000000000' }),
    rec({ nik: '1812abc', kk: '18120112' }),
    rec({ fullName: '', motherName: '   ' }),
    rec({ fullName: ',', motherName: 'Hj. SITI AMINAH, S.Pd.' }),
    rec({ fullName: 'Prof. Dr. Ir. H. Hasan Basri', birthPlace: ' Panaragan ', address: ' Jl. Lintas ', sex: '' as never, birthDate: null }),
  ];
  const people: SourcePerson[] = [...edges, ...records.map((r): SourcePerson => ({
    nik: r.nik ?? null, kk: r.kk ?? null, fullName: r.fullName, sex: (r.sex as SourcePerson['sex']) ?? null, birthDate: r.birthDate ?? null,
    birthPlace: r.birthPlace ?? null, motherName: r.motherName ?? null, address: r.address ?? null, villageCode: r.villageCode ?? '1812012002', seenAt: null,
  }))];
  const differ = people.filter((p) => JSON.stringify(goldenRecordOfOne(p)) !== JSON.stringify(survivorship([p])));
  t.same(differ, [], `${people.length} records, one-record path and general rules agree`);
  t.same(goldenRecord([people[1]!]), survivorship([people[1]!]), 'goldenRecord takes the one-record path');
  t.equal(goldenRecordOfOne(people[1]!).sex, ' ', 'a blank value from the owner of a valid NIK is kept, as the general rules keep it');
  t.equal(goldenRecordOfOne(people[2]!).sex, null);
});
