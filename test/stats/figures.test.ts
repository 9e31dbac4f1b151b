import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config/load.js';
import { generatePopulation } from '../../src/synth/population.js';
import { rebuildStats } from '../../src/stats/refresh.js';
import { AGE_GROUPS, pyramid, villageFigures } from '../../src/stats/queries.js';
import type { Scope } from '../../src/access/scope.js';
import { createTestDatabase } from '../helpers/database.js';
import { insertPeople, type TestPerson } from './fixtures.js';

const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const admin: Scope = { role: 'admin', villageCode: null, kecamatanCode: null, agencyCode: null };

// A generated population, one citizen per person (no duplicates: the identity engine is not under test here).
const { residents } = generatePopulation({ records: 4000, duplicateRate: 0, seed: 77 });
const [{ today }] = (await rows<{ today: string }>(db, sql`select to_char(current_date, 'YYYY-MM-DD') as today`)) as [{ today: string }];
const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];

function ageOf(birth: string): { years: number; months: number } {
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const before = tm < m || (tm === m && td < d);
  return { years: ty - y - (before ? 1 : 0), months: (ty - y) * 12 + (tm - m) - (td < d ? 1 : 0) };
}
// Pregnant: some women 18-40 (OpenSID hamil = 1); dead: every 23rd resident (status_dasar 2) is not counted.
const pregnant = (i: number, r: (typeof residents)[number]) => r.sex === 'F' && ageOf(r.birthDate).years >= 18 && ageOf(r.birthDate).years <= 40 && i % 6 === 0;
const dead = (i: number) => i % 23 === 0;

const people: TestPerson[] = residents.map((r, i) => ({
  golden: { villageCode: r.villageCode, nik: r.nik, kk: r.kk, fullName: r.fullName, sex: r.sex, birthDate: r.birthDate },
  records: [{ villageCode: r.villageCode, localId: String(r.residentId), nik: r.nik, kk: r.kk, fullName: r.fullName, sex: r.sex, birthDate: r.birthDate, hamil: pregnant(i, r), state: dead(i) ? 'dead' : 'active' }],
}));
await insertPeople(db, people);
await rebuildStats(db, config);

t.test('stunting figures per tiyuh equal a direct count of the generated population', async (t) => {
  const expected = new Map<string, { residents: number; c23: number; c59: number; pregnant: number; w: number; kk: Set<string> }>();
  residents.forEach((r, i) => {
    if (dead(i)) return;
    const e = expected.get(r.villageCode) ?? { residents: 0, c23: 0, c59: 0, pregnant: 0, w: 0, kk: new Set<string>() };
    const a = ageOf(r.birthDate);
    e.residents += 1;
    e.kk.add(r.kk);
    if (a.months >= 0 && a.months < 24) e.c23 += 1;
    if (a.months >= 0 && a.months < 60) e.c59 += 1;
    if (pregnant(i, r)) e.pregnant += 1;
    if (r.sex === 'F' && a.years >= 15 && a.years <= 49) e.w += 1;
    expected.set(r.villageCode, e);
  });
  const got = await villageFigures(db, config, admin, {});
  t.equal(got.items.length, config.villages.size, 'every tiyuh is listed, with zeros where nobody lives');
  let checked = 0;
  for (const it of got.items) {
    const e = expected.get(it.villageCode);
    t.same(
      { residents: it.residents, households: it.households, c23: it.children0to23m, c59: it.children0to59m, pregnant: it.pregnant, w: it.women15to49 },
      { residents: e?.residents ?? 0, households: e?.kk.size ?? 0, c23: e?.c23 ?? 0, c59: e?.c59 ?? 0, pregnant: e?.pregnant ?? 0, w: e?.w ?? 0 },
      it.villageCode,
    );
    checked += e ? 1 : 0;
  }
  t.ok(checked > 50, `${checked} tiyuh with people compared`);
  t.ok(got.totals.children0to23m > 20 && got.totals.pregnant > 10, `non-trivial figures (${got.totals.children0to23m} under two, ${got.totals.pregnant} pregnant)`);
  t.equal(got.totals.records, got.totals.residents, 'one record per person: nothing removed');
});

t.test('the pyramid of a kecamatan equals a direct count by sex and five-year group', async (t) => {
  const kec = '181205';
  const expected = AGE_GROUPS.map((g) => ({ ageGroup: g, male: 0, female: 0 }));
  residents.forEach((r, i) => {
    if (dead(i) || !r.villageCode.startsWith(kec)) return;
    const g = Math.min(15, Math.floor(ageOf(r.birthDate).years / 5));
    expected[g]![r.sex === 'M' ? 'male' : 'female'] += 1;
  });
  const got = await pyramid(db, config, admin, { kecamatan: '18.12.05' });
  t.same(got.groups, expected);
  t.ok(expected.reduce((a, g) => a + g.male + g.female, 0) > 200);
  t.equal(got.region.kecamatan, kec);
});
