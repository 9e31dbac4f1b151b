import t from 'tap';
import { jaro, jaroWinkler } from '../../../src/pipeline/identity/index.js';

const near = (got: number, want: number) => Math.abs(got - want) < 0.001;

t.test('standard values (Winkler 1990)', async (t) => {
  t.ok(near(jaroWinkler('MARTHA', 'MARHTA'), 0.961), 'MARTHA/MARHTA');
  t.ok(near(jaroWinkler('DWAYNE', 'DUANE'), 0.84), 'DWAYNE/DUANE');
  t.ok(near(jaroWinkler('DIXON', 'DICKSONX'), 0.813), 'DIXON/DICKSONX');
  t.ok(near(jaro('MARTHA', 'MARHTA'), 0.944), 'jaro MARTHA/MARHTA');
  t.equal(jaroWinkler('abc', 'abc'), 1);
  t.equal(jaroWinkler('', 'abc'), 0);
  t.equal(jaroWinkler('abc', 'xyz'), 0);
});

t.test('long strings take the array path and agree with the short path', async (t) => {
  const a = 'dusun sinar harapan rt 003 rw 001 tiyuh mulya';
  const b = 'dusun sinar harapan rt 003 rw 002 tiyuh mulia';
  const v = jaroWinkler(a, b);
  t.ok(v > 0.9 && v < 1, String(v));
  t.ok(near(jaroWinkler(a, b), jaroWinkler(b, a)), 'symmetric');
});
