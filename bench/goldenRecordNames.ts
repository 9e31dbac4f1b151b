/**
 * goldenRecord and stripTitles on generated names dressed with titles, degrees, remarks, casing and
 * spaces (50k names, two seeds): prints a SHA-256 of every output, to run in two trees and compare
 * (a change meant to be faster must print the same digest), and the time of a one-record goldenRecord.
 *   npx tsx bench/goldenRecordNames.ts
 */
import { createHash } from 'node:crypto';
import { goldenRecord, stripTitles } from '../src/pipeline/review/index.js';
import { generatePopulation } from '../src/synth/population.js';
const pre = ['', '', 'H. ', 'Hj. ', 'Drs. ', 'Dra. H. ', 'Ir. ', 'Prof. Dr. ', 'Ny. ', 'Bpk. ', 'HAJI ', 'dr. ', 'KH. ', 'Raden ', 'I ', 'Ni '];
const post = ['', '', ', S.Pd.', ' S.Pd.I', ', S.Pd., M.Pd', ' SH', ' (Alm)', ', A.Md.Kes', ' Almh', ', SE', ' S.Kom', ',', ' MM', ' bin Salim', ' als Bejo'];
let seed = 12345;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
const cased = (s: string) => (rnd(3) === 0 ? s.toUpperCase() : rnd(2) ? s : s.toLowerCase());
const h = createHash('sha256');
let n = 0;
for (const s of [3, 4]) {
  for (const r of generatePopulation({ records: 25000, seed: s }).records) {
    const name = (rnd(5) === 0 ? '  ' : '') + pre[rnd(pre.length)] + cased(r.fullName) + post[rnd(post.length)] + (rnd(7) === 0 ? ' ' : '');
    const mother = r.motherName ? pre[rnd(pre.length)] + r.motherName + post[rnd(post.length)] : null;
    const p = { nik: r.nik ?? null, kk: r.kk ?? null, fullName: name, sex: r.sex ?? null, birthDate: r.birthDate ?? null, birthPlace: r.birthPlace ?? null,
      motherName: mother, address: r.address ?? null, villageCode: r.villageCode ?? '', seenAt: null };
    const p2 = { ...p, fullName: cased(r.fullName), seenAt: '2026-01-01T00:00:00Z' };
    h.update(JSON.stringify([stripTitles(name), goldenRecord([p]), goldenRecord([p, p2]), goldenRecord([p2, p, p])]));
    n++;
  }
}
const people = generatePopulation({ records: 20000, seed: 3 }).records.map((r) => JSON.parse(JSON.stringify({
  nik: r.nik ?? null, kk: r.kk ?? null, fullName: pre[rnd(pre.length)] + r.fullName + post[rnd(post.length)], sex: r.sex ?? null,
  birthDate: r.birthDate ?? null, birthPlace: r.birthPlace ?? null, motherName: r.motherName ?? null, address: r.address ?? null,
  villageCode: r.villageCode ?? '', seenAt: null,
})) as Parameters<typeof goldenRecord>[0][number]);
// As identify meets them: most names written plainly, without titles.
const plainOf = (name: string) => stripTitles(name).replace(/[^A-Za-z ]+/g, ' ').replace(/ +/g, ' ').trim() || 'Siti';
const plain = people.map((p) => ({ ...p, fullName: plainOf(p.fullName), motherName: p.motherName && plainOf(p.motherName) }));
const microseconds = (list: typeof people) => {
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t = performance.now();
    for (const p of list) goldenRecord([p]);
    best = Math.min(best, ((performance.now() - t) * 1000) / list.length);
  }
  return Math.round(best * 100) / 100;
};
console.log(JSON.stringify({
  names: n, digest: h.digest('hex'), oneRecordGoldenRecordMicroseconds: microseconds(people), oneRecordPlainNameMicroseconds: microseconds(plain),
}));
