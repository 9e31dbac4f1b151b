/**
 * Linking an aid participant to a citizen. In order: a valid NIK that agrees with the card's birth
 * date and names exactly one citizen; the village's own resident id on the card (OpenSID kartu_id_pend);
 * the name (the identity engine's canonical form) with the birth date in the same village, when exactly
 * one resident has them. A participant none of these finds stays listed with link = none.
 * A link through a resident record follows that record when staff merge or split citizens.
 */
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { arrayParam } from '../db/sqlArrays.js';
import { normalizeName, nikConsistency, parseNik } from '../pipeline/identity/index.js';

interface Participant { id: number; village_code: string; nik: string | null; full_name: string | null; birth_date: string | null; resident_local_id: string | null }

const birthOf = (d: string | null) => {
  const m = d ? /^(\d{4})-(\d{2})-(\d{2})/.exec(d) : null;
  return m ? { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) } : null;
};

export async function linkParticipants(db: Queryable, ids: number[]): Promise<{ linked: number; unlinked: number }> {
  if (ids.length === 0) return { linked: 0, unlinked: 0 };
  const list = await rows<Participant>(db, sql`
    select id, village_code, nik, full_name, to_char(birth_date, 'YYYY-MM-DD') as birth_date, resident_local_id
    from aid_participants where id = any(${arrayParam(ids, 'int')})`);
  const links = new Map<number, { link: string; citizen: number | null; resident: number | null }>();

  // 1. NIK: valid, consistent with the card's birth date (when it has one), one living golden record.
  const byNik = list.filter((p) => {
    if (!p.nik) return false;
    const info = parseNik(p.nik);
    return info.valid && nikConsistency(info, birthOf(p.birth_date), null).dateMatches !== false;
  });
  if (byNik.length) {
    const found = await rows<{ nik: string; id: number }>(db, sql`
      select nik, min(id) as id from citizens where nik = any(${arrayParam([...new Set(byNik.map((p) => p.nik))], 'text')}::char(16)[]) and merged_into is null
      group by nik having count(*) = 1`);
    const citizenOf = new Map(found.map((f) => [f.nik, f.id]));
    for (const p of byNik) {
      const c = citizenOf.get(p.nik!);
      if (c) links.set(p.id, { link: 'nik', citizen: c, resident: null });
    }
  }

  // 2. The village's resident id on the card.
  const byResident = list.filter((p) => !links.has(p.id) && p.resident_local_id);
  if (byResident.length) {
    const found = await rows<{ pid: number; rid: number }>(db, sql`
      select u.pid, r.id as rid from unnest(${arrayParam(byResident.map((p) => p.id), 'int')}, ${arrayParam(byResident.map((p) => p.village_code), 'text')},
        ${arrayParam(byResident.map((p) => p.resident_local_id), 'text')}) as u(pid, village, local)
      join resident_records r on r.village_code = u.village::char(10) and r.local_id = u.local and r.deleted_at is null`);
    for (const f of found) links.set(f.pid, { link: 'resident', citizen: null, resident: f.rid });
  }

  // 3. Name and birth date in the same village.
  const byName = list.filter((p) => !links.has(p.id) && p.full_name && p.birth_date);
  if (byName.length) {
    const found = await rows<{ village_code: string; birth_date: string; id: number; full_name: string }>(db, sql`
      select r.village_code, to_char(r.birth_date, 'YYYY-MM-DD') as birth_date, r.id, r.full_name
      from resident_records r join unnest(${arrayParam(byName.map((p) => p.village_code), 'text')}, ${arrayParam(byName.map((p) => p.birth_date), 'date')}) as u(village, birth)
        on r.village_code = u.village::char(10) and r.birth_date = u.birth
      where r.deleted_at is null`);
    const candidates = new Map<string, Set<number>>();
    for (const r of found) {
      const k = `${r.village_code}|${r.birth_date}|${normalizeName(r.full_name)}`;
      const set = candidates.get(k) ?? new Set<number>();
      set.add(r.id);
      candidates.set(k, set);
    }
    for (const p of byName) {
      const set = candidates.get(`${p.village_code}|${p.birth_date}|${normalizeName(p.full_name!)}`);
      if (set?.size === 1) links.set(p.id, { link: 'name_birth', citizen: null, resident: [...set][0]! });
    }
  }

  const linked = [...links.entries()];
  if (linked.length) {
    await db.execute(sql`
      update aid_participants p set link = u.link, citizen_id = u.citizen, resident_id = u.resident
      from unnest(${arrayParam(linked.map(([id]) => id), 'int')}, ${arrayParam(linked.map(([, l]) => l.link), 'text')},
        ${arrayParam(linked.map(([, l]) => l.citizen), 'int')}, ${arrayParam(linked.map(([, l]) => l.resident), 'int')}) as u(id, link, citizen, resident)
      where p.id = u.id`);
  }
  return { linked: linked.length, unlinked: list.length - linked.length };
}

/** Tries again the participants not linked yet (their resident may have arrived since); a bounded batch per call. */
export async function relinkUnlinked(db: Queryable, limit = 2000): Promise<{ linked: number; unlinked: number }> {
  const ids = (await rows<{ id: number }>(db, sql`select id from aid_participants where link = 'none' order by updated_at limit ${limit}`)).map((r) => r.id);
  if (ids.length) await db.execute(sql`update aid_participants set updated_at = now() where id = any(${arrayParam(ids, 'int')})`);
  return linkParticipants(db, ids);
}
