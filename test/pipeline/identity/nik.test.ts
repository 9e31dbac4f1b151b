import t from 'tap';
import { compareNikDigits, nikConsistency, parseDate, parseKk, parseNik } from '../../../src/pipeline/identity/index.js';
import { compareNikHalves, nikHalf } from '../../../src/pipeline/identity/nik.js';

t.test('a man\'s NIK', async (t) => {
  const n = parseNik('1812051708850003');
  t.ok(n.valid);
  t.equal(n.provinceCode, '18');
  t.equal(n.regionCode, '181205');
  t.equal(n.birthDate, '1985-08-17');
  t.equal(n.sex, 'M');
  t.equal(n.serial, '0003');
  t.same(n.errors, []);
  t.same(n.flags, []);
});

t.test('women: day + 40', async (t) => {
  const n = parseNik('1812055708850003');
  t.ok(n.valid);
  t.equal(n.sex, 'F');
  t.equal(n.birthDate, '1985-08-17');
  t.ok(parseNik('1812057102000001').errors.includes('NIK_INVALID_DATE'), 'day 71 - 40 = 31 February is invalid');
});

t.test('century follows the reference year', async (t) => {
  t.equal(parseNik('1812050101200001', 2026).birthDate, '2020-01-01');
  t.equal(parseNik('1812050101300001', 2026).birthDate, '1930-01-01');
});

t.test('invalid dates and formats', async (t) => {
  t.ok(parseNik('1812053213850001').errors.includes('NIK_INVALID_DATE'), 'month 13');
  t.ok(parseNik('1812053202850001').errors.includes('NIK_INVALID_DATE'), '32 is neither a day nor a woman\'s day');
  t.ok(parseNik('1812053102850001').errors.includes('NIK_INVALID_DATE'), '31 February');
  t.ok(parseNik('1812057202850001').errors.includes('NIK_INVALID_DATE'), 'woman, 32 February');
  t.ok(parseNik('18120517088500').errors.includes('NIK_LENGTH'));
  t.ok(parseNik('18120517088500AB').errors.includes('NIK_NOT_DIGITS'));
  t.ok(parseNik('1812051708850000').errors.includes('NIK_INVALID_SERIAL'));
  t.ok(parseNik('9912051708850001').errors.includes('NIK_INVALID_PROVINCE'));
  t.ok(parseNik('1899051708850001').errors.includes('NIK_INVALID_REGION'), 'no kabupaten 99 in Lampung');
  t.notOk(parseNik('1812053213850001').valid);
});

t.test('region outside 18.12 is only a flag', async (t) => {
  const n = parseNik('3301011708850001');
  t.ok(n.valid);
  t.ok(n.flags.includes('NIK_REGION_OUTSIDE_1812'));
  t.ok(parseNik('1805011708850001').valid, 'Tulang Bawang (before 2008)');
});

t.test('OpenSID temporary NIK and "no NIK" values', async (t) => {
  const n = parseNik('0181201200200012');
  t.ok(n.temporary);
  t.notOk(n.valid);
  t.equal(n.temporaryVillageCode, '1812012002');
  t.equal(n.serial, '00012');
  t.ok(parseNik('0').empty);
  t.ok(parseNik('').empty);
  t.ok(parseNik(null).empty);
  t.ok(parseNik('0000000000000000').empty);
  t.equal(parseNik('1812 0517 0885 0003').digits, '1812051708850003', 'separators ignored');
});

t.test('NIK comparison', async (t) => {
  t.equal(compareNikDigits('1812051708850003', '1812051708850003'), 'exact');
  t.equal(compareNikDigits('1812051708850003', '1812051708850004'), 'one_digit');
  t.equal(compareNikDigits('1812051708850003', '1812057108850003'), 'transposed');
  t.equal(compareNikDigits('1812051708850003', '1812051708850030'), 'transposed');
  t.equal(compareNikDigits('1812051708850003', '1812051708850045'), 'different');
});

t.test('NIK against the record\'s birth date and sex', async (t) => {
  const n = parseNik('1812055708850003');
  t.same(nikConsistency(n, parseDate('1985-08-17'), 'F'), { dateMatches: true, sexMatches: true });
  t.same(nikConsistency(n, parseDate('1985-08-18'), 'M'), { dateMatches: false, sexMatches: false });
  t.same(nikConsistency(n, null, null), { dateMatches: null, sexMatches: null });
});

t.test('KK: region, recording date without +40, serial', async (t) => {
  const k = parseKk('1812052512190007');
  t.ok(k.valid);
  t.equal(k.regionCode, '181205');
  t.equal(k.recordedDate, '251219');
  t.equal(k.serial, '0007');
  t.ok(parseKk('1812056512190007').errors.includes('KK_INVALID_DATE'), 'no +40 in a KK');
  t.ok(parseKk('0181201200200001').temporary);
});

t.test('region codes that exist nowhere are invalid', async (t) => {
  t.ok(parseNik('3361017001440001').errors.includes('NIK_INVALID_REGION'), 'kabupaten 61: no province has kabupaten 30-70');
  t.ok(parseNik('3385017001440001').errors.includes('NIK_INVALID_REGION'), 'kota above 79');
  t.ok(parseNik('1812154409670001').errors.includes('NIK_INVALID_REGION'), '18.12 has kecamatan 01-09 only');
  t.ok(parseNik('1812094409670001').valid);
  t.ok(parseNik('3529014409670001').valid, 'Sumenep, kabupaten 29');
  t.ok(parseNik('3579014409670001').valid, 'Kota Batu, kota 79');
  t.ok(parseNik('1805154409670001').valid, 'other kabupaten: kecamatan not checked');
});

t.test('compareNikHalves (numbers of eight digits) agrees with compareNikDigits on every kind of difference', async (t) => {
  const base = '1812054107900003';
  const variants = new Set<string>([base]);
  for (let i = 0; i < 16; i++) {
    for (const d of '0123456789') variants.add(base.slice(0, i) + d + base.slice(i + 1));
    if (i < 15) variants.add(base.slice(0, i) + base[i + 1] + base[i] + base.slice(i + 2));
    for (let j = i + 1; j < 16; j++) variants.add(base.slice(0, i) + '9' + base.slice(i + 1, j) + '8' + base.slice(j + 1));
  }
  variants.add('0000000000000001');
  variants.add('9999999999999999');
  const all = [...variants];
  const levels = new Map<string, number>();
  let disagreements = 0;
  for (const a of all.slice(0, 60)) {
    for (const b of all) {
      const want = compareNikDigits(a, b);
      const got = compareNikHalves(nikHalf(a, 0), nikHalf(a, 8), nikHalf(b, 0), nikHalf(b, 8));
      if (got !== want) disagreements++;
      levels.set(want, (levels.get(want) ?? 0) + 1);
    }
  }
  t.equal(disagreements, 0);
  t.same([...levels.keys()].sort(), ['different', 'exact', 'one_digit', 'transposed'], 'every level met');
  // Across the halves: the eighth and ninth digits exchanged.
  t.equal(compareNikHalves(nikHalf(base, 0), nikHalf(base, 8), nikHalf('1812054017900003', 0), nikHalf('1812054017900003', 8)), 'transposed');
});
