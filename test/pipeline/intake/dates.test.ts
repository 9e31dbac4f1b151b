import t from 'tap';
import { parseDay, timestampOf } from '../../../src/pipeline/validate/resident.js';

t.test('birth dates in the formats villages send', async (t) => {
  t.equal(parseDay('1990-2-3'), '1990-02-03', 'OpenSID export, unpadded');
  t.equal(parseDay('03-02-1990'), '1990-02-03', 'Gabungan d-m-Y');
  t.equal(parseDay('31/12/1990'), '1990-12-31', 'slashes');
  t.equal(parseDay('1990-12-31 10:00:00'), '1990-12-31', 'a datetime keeps its day');
  t.equal(parseDay('29-02-2000'), '2000-02-29', 'leap year divisible by 400');
  t.equal(parseDay('2024-02-29'), '2024-02-29', 'leap year');
  t.equal(parseDay('29-02-1900'), undefined, '1900 was not a leap year');
  t.equal(parseDay('1990-02-31'), undefined, 'no 31 February');
  t.equal(parseDay('1990-04-31'), undefined, 'no 31 April');
  t.equal(parseDay('1990-13-01'), undefined, 'no month 13');
  t.equal(parseDay('abc'), undefined);
  for (const zero of ['0000-00-00', '00-00-0000', '0000-00-00 00:00:00', '', null]) t.equal(parseDay(zero), null, `${String(zero)} means unknown`);
});

t.test('source timestamps are Jakarta time unless they name a zone', async (t) => {
  t.equal(timestampOf('2026-11-01 08:00:00'), '2026-11-01T01:00:00.000Z');
  t.equal(timestampOf('2026-11-01 08:00:00'), '2026-11-01T01:00:00.000Z', 'the same value twice');
  t.equal(timestampOf('2026-11-01 03:30'), '2026-10-31T20:30:00.000Z', 'crosses midnight back into the previous UTC day');
  t.equal(timestampOf('2026-11-01T08:00:00Z'), '2026-11-01T08:00:00.000Z');
  t.equal(timestampOf('2026-11-01 08:00:00+08:00'), '2026-11-01T00:00:00.000Z');
  t.equal(timestampOf('2026-11-01 08:00:00.250'), '2026-11-01T01:00:00.250Z');
  t.equal(timestampOf('01-11-2026'), '2026-10-31T17:00:00.000Z', 'a day alone is its Jakarta midnight');
  t.equal(timestampOf('2026-02-30 08:00:00'), null, 'no such day');
  t.equal(timestampOf('nonsense'), null);
});
