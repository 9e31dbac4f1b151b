import { sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import { goldenRecord, type GoldenRecord } from './goldenRecord.js';
import { loadLinkedRecords } from './sourceRecords.js';

/**
 * Recomputes the golden record of these citizens from all their linked source records and writes them
 * in one statement. A citizen without records (e.g. merged away) keeps its last fields.
 */
export async function refreshGoldenRecords(tx: Queryable, citizenIds: readonly number[]): Promise<Map<number, GoldenRecord>> {
  const ids = [...new Set(citizenIds)];
  const byCitizen = new Map<number, Parameters<typeof goldenRecord>[0][number][]>();
  for (const r of await loadLinkedRecords(tx, ids)) {
    const list = byCitizen.get(r.citizenId);
    if (list) list.push(r.person);
    else byCitizen.set(r.citizenId, [r.person]);
  }
  const golden = new Map<number, GoldenRecord>();
  for (const [id, list] of byCitizen) {
    const g = goldenRecord(list);
    if (g) golden.set(id, g);
  }
  if (golden.size === 0) return golden;
  const list = [...golden.entries()];
  const col = <T>(f: (g: GoldenRecord) => T) => list.map(([, g]) => f(g));
  await tx.execute(sql`
    update citizens c set nik = u.nik, kk = u.kk, full_name = u.full_name, sex = u.sex, birth_date = u.birth_date,
      birth_place = u.birth_place, mother_name = u.mother_name, address = u.address, village_code = u.village_code, updated_at = now()
    from unnest(${arrayParam(list.map(([id]) => id), 'int')}, ${arrayParam(col((g) => g.nik), 'text')}, ${arrayParam(col((g) => g.kk), 'text')},
      ${arrayParam(col((g) => g.fullName), 'text')}, ${arrayParam(col((g) => g.sex), 'text')}, ${arrayParam(col((g) => g.birthDate), 'date')},
      ${arrayParam(col((g) => g.birthPlace), 'text')}, ${arrayParam(col((g) => g.motherName), 'text')},
      ${arrayParam(col((g) => g.address), 'text')}, ${arrayParam(col((g) => g.villageCode), 'text')})
      as u(id, nik, kk, full_name, sex, birth_date, birth_place, mother_name, address, village_code)
    where c.id = u.id`);
  return golden;
}
