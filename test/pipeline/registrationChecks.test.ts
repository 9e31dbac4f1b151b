import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { checkRegistration, isCalendarDate } from '../../src/pipeline/validate/registration.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

const config = loadConfig(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../config'));

t.test('a calendar date is one Date reads back the same: leap years, month lengths, the form itself', async (t) => {
  // What the check was: a Date made from the text, written back, the same text.
  const roundTrip = (v: string) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  };
  const values = [
    '2024-02-29', '2023-02-29', '2000-02-29', '1900-02-29', '2100-02-28', '2024-04-31', '2024-04-30', '2024-12-31', '2024-13-01',
    '2024-00-10', '2024-01-00', '1880-01-01', '0000-01-01', '9999-12-31', ' 2024-01-01', '2024-1-01', '+02024-01-01', '2024-01-01T00',
    '2024/01/01', '２０２４-01-01', '', 'abcd-ef-gh', '2024-01-32',
  ];
  // Every day of four years around a leap year, and their neighbours past the month's end.
  for (let y = 1999; y <= 2002; y++) {
    for (let m = 1; m <= 12; m++) for (let d = 0; d <= 32; d++) values.push(`${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
  }
  t.same(values.filter((v) => isCalendarDate(v) !== roundTrip(v)), [], `${values.length} texts, the same answer`);
  t.ok(isCalendarDate('2024-02-29'));
  t.notOk(isCalendarDate('2023-02-29'));
});

t.test('a birth date that is no day, or before 1880, is refused as DATE_INVALID', async (t) => {
  const check = (birthDate: string) => checkRegistration({ externalId: 'd-1', service: 'KTP_EL_BARU', applicant: { ...applicant(3), birthDate } }, config, PANARAGAN, new Date('2026-12-01T00:00:00Z'));
  for (const bad of ['2023-02-29', '1879-12-31', '2024-04-31']) {
    const c = check(bad);
    t.match(c.ok ? [] : c.errors, [{ code: 'DATE_INVALID', field: 'applicant.birthDate' }], bad);
  }
  const later = check('2027-01-01');
  t.match(later.ok ? [] : later.errors, [{ code: 'DATE_IN_FUTURE' }]);
});

t.test('the strings of a registration are cleaned field by field; a __proto__ key stays an own key, not a prototype', async (t) => {
  const input = JSON.parse(`{"externalId": " e-1 ", "service": "KTP_EL_BARU", "applicant": ${JSON.stringify({ ...applicant(5), fullName: ' Siti   Aminah ' })}, "__proto__": {"x": 1}}`) as object;
  const c = checkRegistration(input, config, PANARAGAN);
  if (c.ok) t.fail('a __proto__ key is not a field of a registration');
  else {
    t.equal(c.externalId, 'e-1', 'the external id cleaned');
    t.match(c.errors, [{ code: 'FIELD_UNKNOWN', field: '__proto__' }]);
  }
  const clean = checkRegistration({ externalId: 'e-2', service: 'KTP_EL_BARU', applicant: { ...applicant(5), fullName: ' Siti   Aminah ' } }, config, PANARAGAN);
  t.ok(clean.ok && clean.value.applicant.fullName === 'Siti Aminah', 'spaces of a name cleaned');
});
