import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import type { HubConfig } from '../config/load.js';
import { regionDigits } from '../config/regionCode.js';
import type { Scope } from '../access/scope.js';
import { writeAudit } from '../audit/log.js';
import { hashPassword, oneTimePassword, passwordProblem, verifyPassword } from './passwords.js';

export const STAFF_ROLES = ['admin', 'kecamatan', 'instansi', 'tiyuh'] as const;
export type StaffRole = typeof STAFF_ROLES[number];

export const ROLE_NAMES: Record<StaffRole, string> = {
  admin: 'Admin kabupaten', kecamatan: 'Petugas kecamatan', instansi: 'Petugas instansi', tiyuh: 'Operator tiyuh',
};

export interface StaffUser {
  id: number; username: string; fullName: string; role: StaffRole;
  villageCode: string | null; kecamatanCode: string | null; agencyCode: string | null;
  mustChangePassword: boolean; lastLoginAt: Date | null; createdAt: Date; disabledAt: Date | null;
}

/** A staff user's scope is a key's scope: the same rules (src/access/scope.ts) bound both. */
export function staffScope(u: Pick<StaffUser, 'role' | 'villageCode' | 'kecamatanCode' | 'agencyCode'>): Scope {
  const role = u.role === 'instansi' ? 'agency' : u.role === 'tiyuh' ? 'village' : u.role;
  return { role, villageCode: u.villageCode, kecamatanCode: u.kecamatanCode, agencyCode: u.agencyCode };
}

export class StaffError extends Error {
  constructor(readonly code: string, readonly field: string, message: string) { super(message); }
}

export const USER_COLUMNS = sql`id, username, full_name as "fullName", role, village_code as "villageCode",
  kecamatan_code as "kecamatanCode", agency_code as "agencyCode", must_change_password as "mustChangePassword",
  last_login_at as "lastLoginAt", created_at as "createdAt", disabled_at as "disabledAt"`;

export interface NewUser { username: string; fullName: string; role: string; region?: string; agency?: string }

/** Checks a new user's role against its region and agency; answers the columns to store. */
export function checkNewUser(u: NewUser, config: Pick<HubConfig, 'villages' | 'kecamatans' | 'agencies'>) {
  const username = u.username.trim();
  if (!/^[a-z0-9][a-z0-9._-]{2,63}$/i.test(username)) {
    throw new StaffError('USERNAME_INVALID', 'username', 'Nama pengguna 3–64 karakter: huruf, angka, titik, garis bawah atau tanda hubung.');
  }
  const fullName = u.fullName.trim();
  if (fullName.length < 2 || fullName.length > 120) throw new StaffError('NAME_INVALID', 'name', 'Nama lengkap 2–120 karakter.');
  if (!(STAFF_ROLES as readonly string[]).includes(u.role)) {
    throw new StaffError('ROLE_INVALID', 'role', `Peran "${u.role}" tidak dikenal (admin, kecamatan, instansi, tiyuh).`);
  }
  const role = u.role as StaffRole;
  const region = u.region ? regionDigits(u.region) : null;
  if (u.region && !region) throw new StaffError('REGION_INVALID', 'region', `Kode wilayah "${u.region}" tidak dapat dibaca.`);
  let villageCode: string | null = null;
  let kecamatanCode: string | null = null;
  let agencyCode: string | null = null;
  if (role === 'kecamatan' || (role === 'instansi' && region)) {
    if (!region || !config.kecamatans.has(region)) throw new StaffError('REGION_INVALID', 'region', `Peran ${role} memerlukan kode kecamatan Tulang Bawang Barat (mis. 18.12.01).`);
    kecamatanCode = region;
  }
  if (role === 'tiyuh') {
    if (!region || !config.villages.has(region)) throw new StaffError('REGION_INVALID', 'region', 'Peran tiyuh memerlukan kode tiyuh/kelurahan Tulang Bawang Barat (mis. 18.12.01.2002).');
    villageCode = region;
    kecamatanCode = region.slice(0, 6);
  }
  if (role === 'admin' && region) throw new StaffError('REGION_INVALID', 'region', 'Admin kabupaten tidak terikat wilayah; hapus --region.');
  if (role === 'instansi') {
    if (!u.agency || !config.agencies.has(u.agency)) throw new StaffError('AGENCY_INVALID', 'agency', `Peran instansi memerlukan kode instansi yang terdaftar${u.agency ? ` ("${u.agency}" tidak dikenal)` : ''}.`);
    agencyCode = u.agency;
  } else if (u.agency) throw new StaffError('AGENCY_INVALID', 'agency', 'Hanya peran instansi yang memakai kode instansi.');
  return { username, fullName, role, villageCode, kecamatanCode, agencyCode };
}

interface By { actor: string; userId?: number | null }

/** Creates a user with a one-time password (returned once; only its hash is kept). */
export async function createUser(db: Queryable, config: Parameters<typeof checkNewUser>[1], input: NewUser, by: By): Promise<{ user: StaffUser; password: string }> {
  const u = checkNewUser(input, config);
  const password = oneTimePassword();
  const passwordHash = await hashPassword(password);
  const [user] = await rows<StaffUser>(db, sql`
    insert into staff_users (username, full_name, role, village_code, kecamatan_code, agency_code, password_hash)
    values (${u.username}, ${u.fullName}, ${u.role}, ${u.villageCode}, ${u.kecamatanCode}, ${u.agencyCode}, ${passwordHash})
    on conflict do nothing
    returning ${USER_COLUMNS}`);
  if (!user) throw new StaffError('USERNAME_TAKEN', 'username', `Nama pengguna "${u.username}" sudah dipakai.`);
  await writeAudit(db, { actor: by.actor, userId: by.userId, action: 'user.create', targetType: 'staff_users', targetId: String(user.id), regionCode: u.villageCode ?? u.kecamatanCode, detail: { username: u.username, role: u.role, agency: u.agencyCode } });
  return { user, password };
}

/** Users by id, a page after `after`; a kecamatan admin view passes its kecamatan. */
export async function listUsers(db: Queryable, opts: { after?: number; limit?: number; kecamatan?: string | null } = {}): Promise<StaffUser[]> {
  return rows<StaffUser>(db, sql`select ${USER_COLUMNS} from staff_users
    where id > ${opts.after ?? 0} ${opts.kecamatan ? sql`and kecamatan_code = ${opts.kecamatan}` : sql``}
    order by id limit ${opts.limit ?? 100}`);
}

export async function findUser(db: Queryable, username: string): Promise<StaffUser | null> {
  const [u] = await rows<StaffUser>(db, sql`select ${USER_COLUMNS} from staff_users where lower(username) = lower(${username.trim()})`);
  return u ?? null;
}

export async function userById(db: Queryable, id: number): Promise<StaffUser | null> {
  const [u] = await rows<StaffUser>(db, sql`select ${USER_COLUMNS} from staff_users where id = ${id}`);
  return u ?? null;
}

/** Disables a user and ends every session of theirs at once. */
export async function disableUser(db: Queryable, username: string, by: By): Promise<StaffUser> {
  const [u] = await rows<StaffUser>(db, sql`update staff_users set disabled_at = coalesce(disabled_at, now()), updated_at = now()
    where lower(username) = lower(${username.trim()}) returning ${USER_COLUMNS}`);
  if (!u) throw new StaffError('USER_NOT_FOUND', 'username', `Pengguna "${username}" tidak ada.`);
  await db.execute(sql`update staff_sessions set revoked_at = now() where user_id = ${u.id} and revoked_at is null`);
  await writeAudit(db, { actor: by.actor, userId: by.userId, action: 'user.disable', targetType: 'staff_users', targetId: String(u.id), regionCode: u.villageCode ?? u.kecamatanCode });
  return u;
}

/** A new one-time password: sessions end, the lock lifts, and the next login must choose a new password. */
export async function resetPassword(db: Queryable, username: string, by: By): Promise<{ user: StaffUser; password: string }> {
  const password = oneTimePassword();
  const passwordHash = await hashPassword(password);
  const [u] = await rows<StaffUser>(db, sql`update staff_users set password_hash = ${passwordHash}, must_change_password = true,
      failed_logins = 0, locked_until = null, updated_at = now()
    where lower(username) = lower(${username.trim()}) returning ${USER_COLUMNS}`);
  if (!u) throw new StaffError('USER_NOT_FOUND', 'username', `Pengguna "${username}" tidak ada.`);
  await db.execute(sql`update staff_sessions set revoked_at = now() where user_id = ${u.id} and revoked_at is null`);
  await writeAudit(db, { actor: by.actor, userId: by.userId, action: 'user.reset-password', targetType: 'staff_users', targetId: String(u.id), regionCode: u.villageCode ?? u.kecamatanCode });
  return { user: u, password };
}

/**
 * A user replaces their own password (the one-time one at first login): the current one must be right
 * and the new one acceptable. Answers why it was refused, in Indonesian, or null when it was changed;
 * the user's other sessions end.
 */
export async function changeOwnPassword(db: Queryable, user: Pick<StaffUser, 'id' | 'username'>, p: { current: string; password: string; confirm: string }, keepSession: string): Promise<string | null> {
  const [stored] = await rows<{ password_hash: string }>(db, sql`select password_hash from staff_users where id = ${user.id}`);
  if (!stored || !(await verifyPassword(stored.password_hash, p.current))) return 'Kata sandi saat ini salah.';
  const problem = passwordProblem(p.password, user.username);
  if (problem) return problem;
  if (p.password !== p.confirm) return 'Ulangan kata sandi baru tidak sama.';
  if (await verifyPassword(stored.password_hash, p.password)) return 'Kata sandi baru harus berbeda dari yang lama.';
  const passwordHash = await hashPassword(p.password);
  await db.execute(sql`update staff_users set password_hash = ${passwordHash}, must_change_password = false, updated_at = now() where id = ${user.id}`);
  await db.execute(sql`update staff_sessions set revoked_at = now() where user_id = ${user.id} and id <> ${keepSession} and revoked_at is null`);
  await writeAudit(db, { actor: `staf:${user.username}`, userId: user.id, action: 'user.password', targetType: 'staff_users', targetId: String(user.id), regionCode: null });
  return null;
}
