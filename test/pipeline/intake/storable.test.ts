import t from 'tap';
import { MAX_DEPTH, storableValue, TooDeepError } from '../../../src/pipeline/intake/storable.js';

t.test('every string and key made storable in place; __proto__ keys dropped, also one that becomes __proto__ once cleaned', async (t) => {
  const value = JSON.parse('{"a\\u0000b": "x\\u0000y", "list": ["ok", "\\ud800z", {"deep": ["\\u0000"]}], "__proto__": {"polluted": true}, "__proto__\\u0000": {"polluted": true}, "\\u0000": 1, "n": 5, "nil": null}') as Record<string, unknown>;
  const out = storableValue(value);
  t.equal(out, value, 'changed in place');
  t.same(Object.keys(out).sort(), ['ab', 'list', 'n', 'nil'], 'a key cleaned to nothing or to __proto__ is dropped');
  t.equal(out.ab, 'xy');
  t.same(out.list, ['ok', '\ufffdz', { deep: [''] }]);
  t.equal(Object.getPrototypeOf(out), Object.prototype, 'the prototype is untouched');
  t.notOk('polluted' in out);
});

t.test(`nesting past ${MAX_DEPTH} levels is refused before it is walked; deeper input exhausts nothing`, async (t) => {
  const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
  const refused = (value: unknown) => {
    try {
      storableValue(value);
      return false;
    } catch (err) {
      return err instanceof TooDeepError;
    }
  };
  t.doesNotThrow(() => storableValue(nested(MAX_DEPTH)), `${MAX_DEPTH} levels pass`);
  t.ok(refused(nested(MAX_DEPTH + 1)), `${MAX_DEPTH + 1} levels are refused`);
  t.ok(refused(nested(200_000)), 'a body nested 200,000 deep is refused, not a stack overflow');
  const cycle: Record<string, unknown> = { s: 'a' };
  cycle.self = cycle;
  t.ok(refused(cycle), 'a cycle ends at the bound');
});
