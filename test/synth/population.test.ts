import t from 'tap';
import { parseNik } from '../../src/pipeline/identity/index.js';
import { generatePopulation, syntheticRecords, tubabaVillages } from '../../src/synth/population.js';

t.test('villages come from config/regions.csv', async (t) => {
  const v = tubabaVillages();
  t.equal(v.length, 103, '100 tiyuh + 3 kelurahan');
  t.ok(v.every((x) => /^1812\d{6}$/.test(x.code)));
  t.ok(v.some((x) => x.code === '1812012002' && x.name === 'Panaragan'));
});

t.test('seeded: same seed, same population; another seed, another one', async (t) => {
  const a = generatePopulation({ records: 2000, seed: 7 });
  const b = generatePopulation({ records: 2000, seed: 7 });
  const c = generatePopulation({ records: 2000, seed: 8 });
  t.same(a.records, b.records);
  t.notSame(a.records.map((r) => r.fullName), c.records.map((r) => r.fullName));
  t.equal([...syntheticRecords({ records: 50, seed: 7 })].length, 50);
});

t.test('records are rich, unique and carry the truth', async (t) => {
  const { records, residents, forbidden } = generatePopulation({ records: 8000, seed: 21 });
  t.equal(records.length, 8000);
  t.equal(new Set(records.map((r) => r.id)).size, records.length, 'ids are unique');
  const villages = new Set(tubabaVillages().map((v) => v.code));
  t.ok(records.every((r) => r.truthId && r.fullName && villages.has(r.villageCode ?? '')));
  t.ok(records.every((r) => [1, 3, 4, 7].includes(r.kkLevel)), 'SHDK codes');
  t.ok(records.every((r) => /^\d{3}$/.test(r.rt) && /^\d{3}$/.test(r.rw) && r.dusun.startsWith('Dusun')));
  t.ok(residents.length >= records.length - 10);
  const persons = new Set(records.map((r) => r.truthId)).size;
  const dupShare = 1 - persons / records.length;
  t.ok(dupShare > 0.08 && dupShare < 0.3, `a realistic share of duplicate records (${dupShare.toFixed(3)})`);
  t.ok(forbidden.some((f) => f.kind === 'twins'), 'twins');
  t.ok(forbidden.some((f) => f.kind === 'parent_child'), 'children named after a parent');
});

t.test('the noise real registers carry', async (t) => {
  const { records } = generatePopulation({ records: 20000, seed: 5 });
  const niks = records.map((r) => r.nik ?? '');
  t.ok(niks.some((n) => n.length === 16 && n.startsWith('0')), 'OpenSID temporary NIKs');
  t.ok(niks.some((n) => n === '' || n === '0'), 'missing NIKs');
  t.ok(niks.some((n) => parseNik(n).flags.includes('NIK_REGION_OUTSIDE_1812')), 'NIKs issued outside 18.12');
  const women = records.filter((r) => r.sex === 'F' && r.nik && !r.nik.startsWith('0'));
  const ok = women.filter((r) => parseNik(r.nik).sex === 'F').length;
  t.ok(ok / women.length > 0.95, 'women\'s NIK day + 40');
  t.ok(records.some((r) => r.fullName === r.fullName.toUpperCase() && /[A-Z]{3}/.test(r.fullName)), 'upper-case SIAK style');
  t.ok(records.some((r) => /^(H|Hj|Drs|Dra|Ir|dr)\. /.test(r.fullName) || /, [SAM]\./.test(r.fullName)), 'titles and degrees');
  t.ok(records.some((r) => /^(M\.|Moh\.|Muh\.|Mhd\.|Mochammad|Muhamad|Mohamad) /.test(r.fullName)), 'Muhammad variants');
  t.ok(records.some((r) => /oe|Dj|tj/.test(r.fullName)), 'old spelling');
  t.ok(records.some((r) => /^(I|Ni) (Wayan|Made|Nyoman|Ketut|Putu|Gede|Kadek|Komang|Luh) /.test(r.fullName)), 'Balinese names');
  const byTruth = new Map<string, typeof records>();
  for (const r of records) byTruth.set(r.truthId, [...(byTruth.get(r.truthId) ?? []), r]);
  const multi = [...byTruth.values()].filter((l) => l.length > 1);
  t.ok(multi.some((l) => new Set(l.map((r) => r.villageCode)).size > 1), 'movers registered again in another tiyuh');
  t.ok(multi.some((l) => new Set(l.map((r) => r.kk)).size > 1), 'with a new KK');
  t.ok(multi.some((l) => { const [a, b] = l; return !!a?.birthDate && !!b?.birthDate && a.birthDate.slice(5) === `${b.birthDate.slice(8)}-${b.birthDate.slice(5, 7)}` && a.birthDate !== b.birthDate; }), 'swapped day and month');
});
