import t from 'tap';
import { compareNames, nameInfo, nameParts, normalizeName, phoneticKey } from '../../../src/pipeline/identity/index.js';

t.test('case, spacing and punctuation', async (t) => {
  t.equal(normalizeName('  SITI   aminah '), 'siti aminah');
  t.equal(normalizeName("Ma'ruf Amin"), 'maruf amin');
  t.equal(normalizeName('Nur-Hayati'), 'nur hayati');
  t.equal(normalizeName('Dédé Sutisna'), 'dede sutisna');
});

t.test('titles and degrees', async (t) => {
  const cases: Array<[string, string]> = [
    ['H. Ahmad Fauzi', 'ahmad fauzi'],
    ['Hj. Siti Aminah', 'siti aminah'],
    ['Drs. Bambang Sutrisno', 'bambang sutrisno'],
    ['Dra. Sri Wahyuni', 'sri wahyuni'],
    ['Ir. Joko Widodo', 'joko widodo'],
    ['dr. Rina Marlina', 'rina marlina'],
    ['Prof. Dr. Ir. H. Hasan Basri', 'hasan basri'],
    ['Budi Santoso, S.Pd', 'budi santoso'],
    ['Budi Santoso S.Pd.I', 'budi santoso'],
    ['Rahmat Hidayat, S.E.', 'rahmat hidayat'],
    ['Yusuf Effendi, S.H.', 'yusuf effendi'],
    ['Dewi Lestari, A.Md', 'dewi lestari'],
    ['Andi Saputra, S.Kom', 'andi saputra'],
    ['Heru Purnomo, S.Pd., M.Pd', 'heru purnomo'],
    ['NURUL HIDAYAH, A.MD.KEB', 'nurul hidayah'],
  ];
  for (const [raw, want] of cases) t.equal(normalizeName(raw), want, raw);
});

t.test('bin and binti split off the father', async (t) => {
  t.same(nameParts('Ahmad bin Salim'), { tokens: ['ahmad'], patronym: 'salim' });
  t.same(nameParts('Aminah binti Abdullah'), { tokens: ['aminah'], patronym: 'abdullah' });
  t.equal(normalizeName('Robin Hood'), 'robin hood', 'bin inside a word is kept');
});

t.test('Muhammad variants', async (t) => {
  for (const v of ['Muhammad', 'Muhamad', 'Mohammad', 'Mohamad', 'Moh.', 'M.', 'Mochammad', 'Muh.', 'Mhd.', 'MOCH']) {
    t.equal(normalizeName(`${v} Yusuf`), 'muhammad yusuf', v);
  }
  t.equal(normalizeName('Rizki M'), 'rizki m', 'a trailing M is an initial, not Muhammad');
});

t.test('Siti/St. and Abdul/Abd.', async (t) => {
  t.equal(normalizeName('St. Khadijah'), 'siti khadijah');
  t.equal(normalizeName('Abd. Rahman'), 'abdul rahman');
  t.equal(normalizeName('Abdoel Kadir'), 'abdul kadir');
});

t.test('old spelling', async (t) => {
  t.equal(normalizeName('Soeharto'), 'suharto');
  t.equal(normalizeName('Djoko'), 'joko');
  t.equal(normalizeName('Tjahjono'), 'cahyono', "the old j is today's y");
  t.equal(normalizeName('Sjamsul'), 'syamsul');
  t.equal(normalizeName('Soenjoto'), 'sunyoto');
  t.equal(phoneticKey('Achmad'), phoneticKey('Ahmad'));
  t.equal(phoneticKey('Chairul'), phoneticKey('Khairul'));
  t.equal(phoneticKey('Cholid'), phoneticKey('Kholid'));
});

t.test('Indonesian phonetic key', async (t) => {
  t.equal(phoneticKey('Ahmad'), phoneticKey('Achmad'), 'ahmad = achmad');
  t.equal(phoneticKey('Akhmad'), phoneticKey('Ahmad'));
  t.not(phoneticKey('Salim'), phoneticKey('Saleh'), 'salim != saleh');
  t.equal(phoneticKey('Yusuf'), phoneticKey('Yusup'));
  t.equal(phoneticKey('Arief'), phoneticKey('Arif'));
  t.equal(phoneticKey('Fatimah'), phoneticKey('Fatima'));
  t.equal(phoneticKey('Rizky'), phoneticKey('Rizki'));
  t.equal(phoneticKey('Zainal'), phoneticKey('Jainal'));
  t.equal(phoneticKey('Muhammad'), phoneticKey('Mochammad'));
  t.equal(phoneticKey('Wahyudhi'), phoneticKey('Wahyudi'));
});

t.test('doubled letters', async (t) => {
  t.equal(phoneticKey('Muhammad'), phoneticKey('Muhamad'));
  t.equal(phoneticKey('Abdullah'), phoneticKey('Abdulah'));
  t.equal(phoneticKey('Nurrahman'), phoneticKey('Nurahman'));
});

t.test('name comparison levels', async (t) => {
  const cmp = (a: string, b: string) => compareNames(nameInfo(a), nameInfo(b));
  t.equal(cmp('Nur Hayati', 'Nurhayati'), 'exact', 'joined and split');
  t.equal(cmp('SITI AMINAH', 'Siti Aminah, S.Pd'), 'exact');
  t.equal(cmp('Achmad Djunaedi', 'Ahmad Junaidi'), 'phonetic');
  t.equal(cmp('Suharyanto', 'Suharyonto'), 'close');
  t.equal(cmp('Ahmad Fauzi', 'Fauzi'), 'partial', 'dropped part');
  t.equal(cmp('Siti Aminah', 'Siti A.'), 'partial', 'initial');
  t.equal(cmp('Hafiz Yoga', 'Hafiz Yogr'), 'typo');
  t.equal(cmp('Muhammad Hasan', 'Muhammad Husein'), 'similar', 'twins-style given names are not compatible');
  t.equal(cmp('Bambang', 'Sulastri'), 'different');
  t.equal(cmp('Bambang', ''), 'missing');
});

t.test('the joined phonetic key does not depend on how the name is split', async (t) => {
  t.equal(nameInfo('Siti Nurhaliza').phonJoined, nameInfo('SITI NUR HALIZA').phonJoined);
  t.equal(nameInfo('Abd. Rahman').phonJoined, nameInfo('Abdurrahman').phonJoined, 'abdul assimilates');
  t.equal(nameInfo('Abdul Salam').phonJoined, nameInfo('Abdussalam').phonJoined);
  t.not(nameInfo('Abdullah').phonJoined, nameInfo('Abdurrahman').phonJoined);
  t.equal(nameInfo('Ahmad Fauzi').phonSorted, null, 'already in order');
  t.equal(nameInfo('Wulandari Rahayu Sri').phonSorted, nameInfo('Rahayu Sri Wulandari').phonJoined);
  t.ok(nameInfo('Siti Nurhaliza').distinctive.includes(nameInfo('Haliza').phonJoined), 'the part after a joined Nur');
  t.notOk(nameInfo('Siti Nurhaliza').distinctive.includes('siti'), 'common parts are left out');
});

t.test('degree lists after a comma, however they are spaced and spelled', async (t) => {
  const cases: Array<[string, string]> = [
    ['SITI AMINAH, S.PD., M.PD', 'siti aminah'],
    ['Siti Aminah, S. Pd', 'siti aminah'],
    ['Budi Santoso, S.Sos.I', 'budi santoso'],
    ['Budi Santoso, S.Kep., Ns.', 'budi santoso'],
    ['Budi Santoso, S.Tr.Kes', 'budi santoso'],
    ['Budi Santoso, S.Pd, Gr.', 'budi santoso'],
    ['Rina Marlina, A.Md.Kep.', 'rina marlina'],
    ['Heru Purnomo, S.Pd.,M.Pd.I', 'heru purnomo'],
  ];
  for (const [raw, want] of cases) t.equal(normalizeName(raw), want, raw);
  t.equal(normalizeName('Santoso, Budi'), 'santoso budi', 'a name after a comma is kept');
  t.equal(normalizeName('Budi, A.R.'), 'budi a r', 'initials after a comma are not a degree');
});

t.test('remarks that are not part of the name: Alm./Almh., parentheses, alias', async (t) => {
  t.equal(normalizeName('Budi Santoso Alm.'), 'budi santoso');
  t.equal(normalizeName('BUDI SANTOSO ALM'), 'budi santoso');
  t.equal(normalizeName('Siti Aminah (Almh)'), 'siti aminah');
  t.equal(normalizeName('Sutrisno (Bejo)'), 'sutrisno');
  t.equal(normalizeName('Budi Santoso als Bejo'), 'budi santoso');
  t.equal(normalizeName('Ahmad Rusli gelar Pangeran Ratu'), 'ahmad rusli', 'a Lampung adat title after gelar');
  t.equal(normalizeName('AHMAD RUSLI GLR. MINAK SANGUN'), 'ahmad rusli');
  t.equal(normalizeName('Raden Suprapto'), 'suprapto', 'a title of birth');
  t.equal(normalizeName('Kms. Ahmad Fauzi'), 'ahmad fauzi');
  t.equal(normalizeName('Teuku Umar'), 'umar');
  t.equal(normalizeName('Raden'), 'raden', 'a name of one part stays');
  t.equal(normalizeName('Budi Santoso Alias Bejo'), 'budi santoso');
});

t.test('Balinese names: I/Ni left out, parts abbreviated or joined', async (t) => {
  const cmp = (a: string, b: string) => compareNames(nameInfo(a), nameInfo(b));
  t.equal(cmp('I Made Sudarsana', 'Made Sudarsana'), 'exact');
  t.equal(cmp('Ni Kadek Ariani', 'KADEK ARIANI'), 'exact');
  t.equal(cmp('Ni Made Sukarini', 'Ni Md. Sukarini'), 'exact', 'Md. after Ni is Made, not Muhammad');
  t.equal(cmp('I Wayan Suarta', 'I Wyn Suarta'), 'exact');
  t.equal(cmp('I Gusti Ngurah Agung', 'I Gst Ngr Agung'), 'exact');
  t.equal(cmp('I Wayan Suarta', 'Iwayan Suarta'), 'exact');
  t.equal(cmp('Ni Nyoman Suastini', 'NINYOMAN SUASTINI'), 'exact');
  t.equal(normalizeName('Md. Yusuf'), 'muhammad yusuf', 'outside a Balinese name Md. is still Muhammad');
  t.not(cmp('I Wayan Suarta', 'I Made Suarta'), 'exact', 'birth order names still count');
  t.equal(cmp('Ni Luh Putu Ayu', 'Ni Putu Ayu'), 'exact', 'Ni Luh is the female marker whole');
  t.equal(cmp('Luh Putu Ayu', 'NI PUTU AYU'), 'exact', 'Luh before a birth order name, Ni left out');
  t.not(cmp('Ni Luh Putu Ayu', 'Ni Made Ayu'), 'exact');
});

t.test('spelling variants of one name', async (t) => {
  const cmp = (a: string, b: string) => compareNames(nameInfo(a), nameInfo(b));
  t.equal(cmp('Supriyadi', 'Supriadi'), 'phonetic');
  t.equal(cmp('Siti Qomariyah', 'Siti Komariah'), 'phonetic');
  t.equal(cmp('Tjahjo Kumolo', 'Cahyo Kumolo'), 'exact', 'old spelling j = y');
  t.equal(cmp('Soerjono', 'Suryono'), 'exact');
  t.equal(cmp('Muhammad Rizki', 'MUHAMAD RISKI'), 'close', 'z and s');
  t.equal(cmp('Faizal Anwar', 'Faisal Anwar'), 'close');
  t.equal(normalizeName('Jusuf Hidayat'), 'jusuf hidayat', 'without old-spelling marks a j stays a j');
  t.not(cmp('Jaka', 'Saka'), 'close', 'a first letter is not a sibilant variant');
});

t.test('an initial stands for a part written with kh or ch', async (t) => {
  const cmp = (a: string, b: string) => compareNames(nameInfo(a), nameInfo(b));
  t.equal(cmp('Siti K.', 'Siti Khotimah'), 'partial');
  t.equal(cmp('Siti C.', 'Siti Chotimah'), 'partial');
  t.not(cmp('Siti K.', 'Siti Aminah'), 'partial');
});

t.test('a part nobody else has, against a common one, is a typo (with enough names counted)', async (t) => {
  const { NameFrequencies, typoOfCommonPart } = await import('../../../src/pipeline/identity/score.js');
  const { nameInfo } = await import('../../../src/pipeline/identity/names.js');
  const f = new NameFrequencies();
  const add = (name: string, times: number) => { for (let i = 0; i < times; i++) { const n = nameInfo(name); f.add(n.phonJoined, n.phon); } };
  add('Prayitno Tugiyo', 1);
  add('Prayitno Rugiyo', 1);
  add('Tugiyo', 30);
  add('Rina Lestari', 40);
  add('Rini Lestari', 40);
  const rugiyo = [nameInfo('Prayitno Tugiyo'), nameInfo('Prayitno Rugiyo')] as const;
  t.notOk(typoOfCommonPart(rugiyo[0], rugiyo[1], f), 'too few names counted to tell');
  add('Budi Santoso', 20_000);
  t.ok(typoOfCommonPart(rugiyo[0], rugiyo[1], f), 'Rugiyo: one name has it, Tugiyo is common');
  t.notOk(typoOfCommonPart(nameInfo('Rina Lestari'), nameInfo('Rini Lestari'), f), 'Rina / Rini: both names people have');
  t.notOk(typoOfCommonPart(nameInfo('Prayitno Rugiyo'), nameInfo('Prayitmo Rugiyo'), f), 'both rare: cannot tell');
  const n = nameInfo('Budi Santoso');
  f.remove(n.phonJoined, n.phon);
  t.equal(f.partCount(n.phon[0]!), 19_999, 'removed names are counted out');
});
