import t from 'tap';
import { BlockIndex } from '../../../src/pipeline/identity/index.js';

const walk = (b: BlockIndex, key: number): number[] => {
  const out: number[] = [];
  for (let e = b.first(key); e !== -1; e = b.next(e)) out.push(b.recOf(e));
  return out;
};

t.test('blocks hold the same records, newest first, before and after compaction', async (t) => {
  const b = new BlockIndex(5, 16);
  const want = new Map<number, number[]>();
  for (let rec = 0; rec < 200_000; rec++) {
    const key = (rec * 7919) % 50_000;
    b.add(key, rec);
    if (key === 123 || key === 777) want.set(key, [rec, ...(want.get(key) ?? [])]);
  }
  const before = [walk(b, 123), walk(b, 777), walk(b, 1)];
  b.compact();
  t.same([walk(b, 123), walk(b, 777), walk(b, 1)], before);
  t.same(walk(b, 123), want.get(123));
  b.add(123, 200_001);
  t.equal(walk(b, 123)[0], 200_001, 'a record added after compaction heads its block');
  for (let rec = 0; rec < 7; rec++) b.add(999_999, rec);
  b.compact();
  t.same(walk(b, 999_999), [], 'an oversized block stays unusable after compaction');
  b.add(999_999, 50);
  t.same(walk(b, 999_999), []);
});
