import t from 'tap';
import { compareDates, isPlaceholderDate, parseDate } from '../../../src/pipeline/identity/index.js';

const d = (s: string) => parseDate(s);

t.test('parsing', async (t) => {
  t.same(parseDate('1985-08-17'), { y: 1985, m: 8, d: 17 });
  t.same(parseDate('17-08-1985'), { y: 1985, m: 8, d: 17 }, 'd-m-Y as OpenSID Gabungan sends it');
  t.equal(parseDate('1985-02-30'), null);
  t.equal(parseDate('2001-02-29'), null);
  t.same(parseDate('2000-02-29'), { y: 2000, m: 2, d: 29 });
  t.equal(parseDate('not a date'), null);
});

t.test('comparison levels', async (t) => {
  t.equal(compareDates(d('1985-08-17'), d('1985-08-17')), 'exact');
  t.equal(compareDates(d('1985-03-07'), d('1985-07-03')), 'swapped');
  t.equal(compareDates(d('1985-08-17'), d('1986-08-17')), 'year_off');
  t.equal(compareDates(d('1985-08-17'), d('1985-08-19')), 'one_part');
  t.equal(compareDates(d('1985-08-17'), d('1990-02-03')), 'different');
  t.equal(compareDates(d('1985-08-17'), null), 'missing');
});

t.test('admin placeholder dates are weak', async (t) => {
  t.ok(isPlaceholderDate({ y: 1960, m: 1, d: 1 }));
  t.ok(isPlaceholderDate({ y: 1960, m: 7, d: 1 }));
  t.ok(isPlaceholderDate({ y: 1960, m: 12, d: 31 }));
  t.notOk(isPlaceholderDate({ y: 1960, m: 8, d: 17 }));
  t.equal(compareDates(d('1960-01-01'), d('1960-01-01')), 'exact_placeholder');
  t.equal(compareDates(d('1960-07-01'), d('1960-03-14')), 'placeholder_year');
});
