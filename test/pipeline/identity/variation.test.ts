import t from 'tap';
import { IdentityIndex, type Outcome, type PersonRecord } from '../../../src/pipeline/identity/index.js';

// Spelling variation seen in real Tubaba registers: each pair is one person and must at least be
// found and compared (possible), most of them linked outright.
const siti: PersonRecord = {
  id: 'a', fullName: 'Siti Nurhaliza', nik: '1812014708900001', sex: 'F', birthDate: '1990-08-07',
  villageCode: '1812012002', motherName: 'Aminah', kk: '1812010101100001',
};
const person = (id: string, fullName: string, birthDate: string | null, sex: 'M' | 'F', villageCode: string, extra: Partial<PersonRecord> = {}): PersonRecord =>
  ({ id, fullName, birthDate, sex, villageCode, ...extra });

const cases: Array<[string, PersonRecord, PersonRecord, Outcome]> = [
  ['joined and split parts (Nurhaliza / Nur Haliza)', siti,
    { id: 'b', fullName: 'SITI NUR HALIZA', sex: 'F', birthDate: '1990-08-07', villageCode: '1812052006' }, 'match'],
  ['a dropped part and the birth year one off, same village', siti,
    { id: 'e', fullName: 'Siti Halizah', sex: 'F', birthDate: '1991-08-07', villageCode: '1812012002' }, 'possible'],
  ['old spelling dj/ch', person('a', 'Achmad Djunaedi', '1975-03-12', 'M', '1812012002'),
    person('b', 'AHMAD JUNAEDI', '1975-03-12', 'M', '1812052006'), 'match'],
  ['M. for Muhammad, y for i', person('a', 'Muhammad Rizki', '1995-11-23', 'M', '1812012002'),
    person('b', 'M. Rizky', '1995-11-23', 'M', '1812052006'), 'match'],
  ['Moh. for Muhammad, q for k', person('a', 'Muhammad Rizki', '1995-11-23', 'M', '1812012002'),
    person('b', 'Moh. Rizqi', '1995-11-23', 'M', '1812052006'), 'match'],
  ['Abd. Rahman / Abdurrahman', person('a', 'Abd. Rahman', '1968-02-14', 'M', '1812012002'),
    person('b', 'Abdurrahman', '1968-02-14', 'M', '1812052006'), 'match'],
  ['binti and the father dropped, parts joined', person('a', 'Nurhayati binti Slamet', '1982-06-30', 'F', '1812012002'),
    person('b', 'Nur Hayati', '1982-06-30', 'F', '1812052006'), 'match'],
  ['an initial for the first part', person('a', 'S. Rahayu', '1979-09-15', 'F', '1812012002'),
    person('b', 'Sri Rahayu', '1979-09-15', 'F', '1812052006'), 'possible'],
  ['parts in another order', person('a', 'Rahayu Sri Wulandari', '1979-09-15', 'F', '1812012002'),
    person('b', 'Sri Wulandari Rahayu', '1979-09-15', 'F', '1812052006'), 'match'],
  ['day and month swapped', person('a', 'Bambang Sutrisno', '1980-04-09', 'M', '1812012002'),
    person('b', 'Bambang Sutrisno', '1980-09-04', 'M', '1812052006'), 'match'],
  ['NIK with two date digits transposed', person('a', 'Sri Wahyuni', '1979-04-21', 'F', '1812012002', { nik: '1812056104790002' }),
    person('b', 'Sri Wahyuni', '1979-04-21', 'F', '1812052006', { nik: '1812056140790002' }), 'match'],
  // Both NIKs stay valid and consistent: it may be a typo, or two people; a reviewer decides.
  ['NIK with two serial digits transposed, no birth date', person('a', 'Sri Wahyuni', '1979-04-21', 'F', '1812012002', { nik: '1812056104790012' }),
    person('b', 'SRI WAHYUNI', null, 'F', '1812052006', { nik: '1812056104790021' }), 'possible'],
];

for (const [label, a, b, want] of cases) {
  t.test(label, async (t) => {
    const idx = new IdentityIndex();
    idx.add('A', a);
    const r = idx.resolve(b);
    t.equal(r.outcome, want, `${a.fullName} / ${b.fullName}: score ${r.score.toFixed(2)}`);
    t.equal(r.citizenId, 'A');
  });
}
